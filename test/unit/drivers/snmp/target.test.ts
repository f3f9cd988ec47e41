/** `snmp://HOST[:PORT]` targets and SNMP credentials (drivers/snmp/target.ts): what parses, and each refusal with its message. */
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { checkCredentials, parseSnmpTarget, type SnmpCredentials } from '../../../../drivers/snmp/target.js';

function refusal(f: () => unknown): DriverError {
  try {
    f();
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error('accepted');
}

// Accepted forms, and the refusals (with their messages) of everything else.
describe('SNMP targets', () => {
  it('parses names, IPv4 and bracketed IPv6 hosts, with port 161 by default', () => {
    expect(parseSnmpTarget('snmp://lb1.example')).toEqual({ host: 'lb1.example', port: 161 });
    expect(parseSnmpTarget('snmp://192.0.2.7:1161')).toEqual({ host: '192.0.2.7', port: 1161 });
    expect(parseSnmpTarget('snmp://[fd00::1]')).toEqual({ host: 'fd00::1', port: 161 });
    expect(parseSnmpTarget('snmp://[fd00::1]:16100')).toEqual({ host: 'fd00::1', port: 16100 });
    expect(parseSnmpTarget('snmp://h/')).toEqual({ host: 'h', port: 161 });
    expect(parseSnmpTarget('snmp://h:65535')).toEqual({ host: 'h', port: 65535 });
  });

  it('refuses what is not a URL at all, naming the form', () => {
    for (const target of ['lb1.example', '', 'snmp://fd00::1', 'snmp://h:70000', 'snmp://h:port', 'snmp://h:-1']) {
      const err = refusal(() => parseSnmpTarget(target));
      expect(err, target).toMatchObject({ name: 'DriverError', code: 'badTarget', message: `${target}: not an SNMP target (expected snmp://HOST[:PORT])` });
    }
  });

  it('refuses another scheme, a missing host, a path, a query, a fragment or credentials in the URL', () => {
    for (const target of [
      'http://h',
      'udp://h:161',
      'snmp:h',
      'snmp://',
      'snmp:///x',
      'snmp://h/x',
      'snmp://h:161/public',
      'snmp://h?community=public',
      'snmp://user@h',
      'snmp://user:pw@h',
      'snmp://:pw@h',
      'snmp://h#x',
      'snmp://h:161#x',
    ]) {
      const err = refusal(() => parseSnmpTarget(target));
      expect(err, target).toMatchObject({ code: 'badTarget', message: `${target}: expected snmp://HOST[:PORT] and nothing else` });
    }
  });

  it('refuses port 0, which no agent listens on', () => {
    expect(refusal(() => parseSnmpTarget('snmp://h:0'))).toMatchObject({ code: 'badTarget', message: 'snmp://h:0: port 0 is out of range (1–65535)' });
  });
});

// v2c needs a community, v3 a user and 8-character keys: each refusal says which.
describe('SNMP credentials', () => {
  it('passes v2c with a community and v3 with a user and keys of 8 characters or more, unchanged', () => {
    const v2: SnmpCredentials = { version: '2c', community: 'public' };
    const v3: SnmpCredentials = { version: '3', user: 'fulcrum', authKey: '12345678', privKey: 'abcdefgh' };
    expect(checkCredentials(v2)).toBe(v2);
    expect(checkCredentials(v3)).toBe(v3);
  });

  it('refuses each missing or short part with its own message', () => {
    const cases: [SnmpCredentials, string][] = [
      [{ version: '2c', community: '' }, 'SNMP v2c needs a community'],
      [{ version: '3', user: '', authKey: '12345678', privKey: '12345678' }, 'SNMPv3 needs a user'],
      [{ version: '3', user: 'u', authKey: '1234567', privKey: '12345678' }, 'SNMPv3 auth and priv keys must be at least 8 characters'],
      [{ version: '3', user: 'u', authKey: '12345678', privKey: '1234567' }, 'SNMPv3 auth and priv keys must be at least 8 characters'],
    ];
    for (const [c, message] of cases)
      expect(
        refusal(() => checkCredentials(c)),
        message,
      ).toMatchObject({ name: 'DriverError', code: 'badTarget', message });
  });
});
