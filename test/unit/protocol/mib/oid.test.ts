import { describe, expect, it } from 'vitest';
import { compareOids, formatOid, oid, parseOid, startsWith } from '../../../../src/protocol/mib/oid.js';
import { formatHostPort, parseHostPort, snmpOptionProblems } from '../../../../sim/snmp/options.js';
import { engineIdFor } from '../../../../sim/snmp/snmp-agent.js';

describe('OID helpers', () => {
  it('builds, parses and prints OIDs', () => {
    expect(oid([1, 3, 6], 1, [4, 1])).toEqual([1, 3, 6, 1, 4, 1]);
    expect(parseOid('.1.3.6.1')).toEqual([1, 3, 6, 1]);
    expect(formatOid(parseOid('1.3.6.1.4.1.32473'))).toBe('1.3.6.1.4.1.32473');
    expect(() => parseOid('1.3.x')).toThrow(TypeError);
    expect(() => oid(1, -1)).toThrow(RangeError);
    expect(() => oid(1, 2 ** 32)).toThrow(RangeError);
  });

  it('compares numerically arc by arc, a prefix first (walk order), never as text', () => {
    expect(compareOids([1, 3, 6, 1, 9], [1, 3, 6, 1, 10])).toBeLessThan(0);
    expect('1.3.6.1.9' < '1.3.6.1.10').toBe(false);
    expect(compareOids([1, 3], [1, 3, 0])).toBeLessThan(0);
    expect(compareOids([1, 3, 6], [1, 3, 6])).toBe(0);
    expect(compareOids([2], [1, 3, 6])).toBeGreaterThan(0);
    const sorted = [
      [1, 3, 10],
      [1, 3],
      [1, 3, 2, 1],
      [1, 3, 2],
    ].sort(compareOids);
    expect(sorted).toEqual([
      [1, 3],
      [1, 3, 2],
      [1, 3, 2, 1],
      [1, 3, 10],
    ]);
    expect(startsWith([1, 3, 6, 1], [1, 3])).toBe(true);
    expect(startsWith([1, 3], [1, 3, 6])).toBe(false);
  });
});

describe('SNMP options', () => {
  it('parses [HOST:]PORT and HOST:PORT, IPv6 in brackets', () => {
    expect(parseHostPort('1161', '--snmp', '127.0.0.1', true)).toEqual({ host: '127.0.0.1', port: 1161 });
    expect(parseHostPort('0.0.0.0:161', '--snmp', '127.0.0.1', true)).toEqual({ host: '0.0.0.0', port: 161 });
    expect(parseHostPort('[::1]:162', '--trap-to', null, false)).toEqual({ host: '::1', port: 162 });
    expect(() => parseHostPort('162', '--trap-to', null, false)).toThrow(/HOST:PORT/);
    expect(() => parseHostPort('h:70000', '--snmp', '127.0.0.1', true)).toThrow(/port/);
    expect(() => parseHostPort('::1:161', '--snmp', '127.0.0.1', true)).toThrow(/brackets/);
    expect(formatHostPort('::1', 161)).toBe('[::1]:161');
  });

  it('wants a way in and passphrases SNMPv3 accepts', () => {
    expect(snmpOptionProblems({ host: 'h', port: 1 })).toHaveLength(1);
    expect(snmpOptionProblems({ host: 'h', port: 1, community: 'public' })).toEqual([]);
    expect(snmpOptionProblems({ host: 'h', port: 1, v3User: { name: 'ops', authKey: 'short', privKey: 'longenough', write: false } })).toEqual([
      '--v3-auth must be at least 8 characters',
    ]);
  });

  it('derives a stable RFC 3411 engine id from the serial number (enterprise 32473, text format)', () => {
    expect(engineIdFor('FL0000000042')).toBe(`80007ed904${Buffer.from('FL0000000042').toString('hex')}`);
  });
});
