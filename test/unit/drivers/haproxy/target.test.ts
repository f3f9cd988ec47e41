/** `haproxy://` targets (drivers/haproxy/target.ts): both socket forms, the parameters, and each refusal with its reason. */
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { DEFAULT_CONFIG, DEFAULT_PROGRAM, DEFAULT_TIMEOUT_MS, describeSocket, parseHaproxyTarget } from '../../../../drivers/haproxy/target.js';

function refusal(target: string): DriverError {
  try {
    parseHaproxyTarget(target);
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error(`${target} was accepted`);
}

describe('HAProxy targets', () => {
  it('reads a Unix master socket with the defaults: Debian config file, haproxy on the PATH', () => {
    expect(parseHaproxyTarget('haproxy:///run/haproxy/master.sock')).toEqual({
      socket: { kind: 'unix', path: '/run/haproxy/master.sock' },
      config: DEFAULT_CONFIG,
      program: DEFAULT_PROGRAM,
      timeoutMs: DEFAULT_TIMEOUT_MS,
    });
  });

  it('reads TCP sockets (IPv6 in brackets) and every parameter', () => {
    const t = parseHaproxyTarget('haproxy://[fd00::7]:9999?config=/srv/lb/../lb/haproxy.cfg&haproxy=/usr/sbin/haproxy&timeout=2500');
    expect(t).toEqual({ socket: { kind: 'tcp', host: 'fd00::7', port: 9999 }, config: '/srv/lb/haproxy.cfg', program: '/usr/sbin/haproxy', timeoutMs: 2500 });
    expect(describeSocket(t.socket)).toBe('[fd00::7]:9999');
    expect(parseHaproxyTarget('haproxy:///tmp/a%20b/m.sock').socket).toEqual({ kind: 'unix', path: '/tmp/a b/m.sock' });
  });

  it('refuses what the driver cannot use, saying why', () => {
    expect(refusal('haproxy://lb1').message).toContain('needs a port');
    expect(refusal('haproxy://lb1:0').message).toContain('needs a port');
    expect(refusal('haproxy://lb1:9999/x').message).toContain('takes no path');
    expect(refusal('haproxy:///').message).toContain('no socket path');
    expect(refusal('haproxy:///m.sock?confg=/x').message).toContain('unknown parameter "confg"');
    expect(refusal('haproxy:///m.sock?config=etc/haproxy.cfg').message).toContain('must be an absolute path');
    expect(refusal('haproxy:///m.sock?config=/a&config=/b').message).toContain('"config" is given 2 times');
    expect(refusal('haproxy:///m.sock?haproxy=').message).toContain('"haproxy" is empty');
    expect(refusal('haproxy:///m.sock?timeout=5s').message).toContain('timeout=5s must be a whole number of milliseconds');
    expect(refusal('snmp://lb1').message).toContain('expected haproxy://HOST:PORT or haproxy:///path/to/master.sock');
    expect(refusal('haproxy://u:p@lb1:1').code).toBe('badTarget');
  });
});
