/**
 * The managed configuration file (drivers/haproxy/config-file.ts): a push keeps every section
 * that is not a proxy, replaces the proxies, and embeds the table; reading gives back the pushed
 * table's config id — drain included — until someone edits the proxies, then the file's import.
 */
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { embeddedTable, keptSections, renderConfigFile, runningConfig } from '../../../../drivers/haproxy/config-file.js';
import { haproxyProblems } from '../../../../drivers/haproxy/expressible.js';
import { configId } from '../../../../src/protocol/rules/config-id.js';
import { service, table } from '../../../support/rules.js';

const HAND_WRITTEN = `# the operator's file
global
    stats socket /run/haproxy/admin.sock mode 660 level admin
    log /dev/log local0

userlist ops
    user admin insecure-password secret

defaults
    mode tcp
    timeout connect 5s

frontend old
    bind :80
    default_backend pool

backend pool
    server a 10.0.0.1:80

peers mesh
    peer lb1 10.0.0.9:1024
`;

const pushed = table(
  service({
    name: 'web',
    listen: '127.0.0.1:8080',
    algorithm: 'weighted-round-robin',
    backends: [{ weight: 3 }, { weight: 2, state: 'drain' }, { weight: 1, state: 'disabled' }],
  }),
);

describe('the managed configuration file', () => {
  it('keeps global, userlist and peers as written and replaces every proxy', () => {
    const text = renderConfigFile(pushed, HAND_WRITTEN);
    expect(text).toContain('global\n    stats socket /run/haproxy/admin.sock mode 660 level admin\n    log /dev/log local0');
    expect(text).toContain('userlist ops\n    user admin insecure-password secret');
    expect(text).toContain('peers mesh\n    peer lb1 10.0.0.9:1024');
    expect(text).not.toContain('frontend old');
    expect(text).not.toContain('backend pool');
    expect(text).toContain('listen web\n    bind 127.0.0.1:8080');
    // Drain has no spelling in the file: weight 0 there, the state at run time.
    expect(text).toMatch(/server s2 127\.0\.0\.1:9002 weight 0\n/);
    expect(text).toMatch(/server s3 127\.0\.0\.1:9003 disabled\n/);
  });

  it('reads back the pushed table and its config id, drain included, however often it is pushed over', () => {
    const once = renderConfigFile(pushed, HAND_WRITTEN);
    const twice = renderConfigFile(pushed, once);
    expect(twice).toBe(once);
    expect(keptSections(twice).match(/fulcrum-table/g)).toBeNull();
    const running = runningConfig(twice, '/etc/haproxy/haproxy.cfg');
    expect(running).toMatchObject({ embedded: true, configId: configId(pushed) });
    expect(running.table).toEqual(pushed);
  });

  it('goes by the file once its proxies are edited by hand, and ignores a damaged copy', () => {
    const text = renderConfigFile(pushed, HAND_WRITTEN);
    const edited = text.replace('server s1 127.0.0.1:9001 weight 3', 'server s1 127.0.0.1:9001 weight 4');
    const running = runningConfig(edited, '/etc/haproxy/haproxy.cfg');
    expect(running.embedded).toBe(false);
    expect(running.table.services[0]!.backends.map((b) => [b.weight, b.state])).toEqual([
      [4, 'enabled'],
      [0, 'enabled'],
      [1, 'disabled'],
    ]);
    const damaged = text.replace(/(# fulcrum-table: v1 [0-9a-f]{64}\n# fulcrum-table: )(.)/, (_, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`);
    expect(embeddedTable(damaged)).toBeNull();
    expect(runningConfig(damaged, 'f').embedded).toBe(false);
  });

  it('imports a hand-written file as the rule table it means', () => {
    const running = runningConfig(HAND_WRITTEN, '/etc/haproxy/haproxy.cfg');
    expect(running.embedded).toBe(false);
    expect(running.table.services.map((s) => [s.name, s.listen, s.backends.map((b) => b.address)])).toEqual([['old', '0.0.0.0:80', ['10.0.0.1:80']]]);
  });

  it('names the file, line and column of what cannot be read', () => {
    const broken = `${HAND_WRITTEN}\nlisten bad\n    bind :81\n    server x\n`;
    const line = broken.split('\n').indexOf('    server x') + 1;
    expect(() => runningConfig(broken, '/etc/haproxy/haproxy.cfg')).toThrow(`/etc/haproxy/haproxy.cfg:${line}:12: "server" needs a name and an address`);
  });

  it('refuses, whole, a table HAProxy would run with another meaning', () => {
    const t = table(
      service({ name: 'dns', protocol: 'udp', listen: '127.0.0.1:53', backends: [{}] }),
      service({ name: 'lrt', algorithm: 'least-response-time', backends: [{}] }),
      service({ name: 'mg', algorithm: 'maglev', hashKey: '5-tuple', backends: [{}] }),
      service({ name: 'w', algorithm: 'weighted-round-robin', backends: [{ weight: 300 }, {}] }),
      service({ name: 'ok', algorithm: 'round-robin', listen: '127.0.0.1:8001', backends: [{ weight: 300 }] }),
    );
    expect(haproxyProblems(t)).toEqual([
      'service dns: protocol udp: HAProxy 2.6 proxies TCP only',
      'service lrt: algorithm least-response-time: HAProxy has no such balancing (leastconn is the closest)',
      'service mg: hash-key 5-tuple: HAProxy hashes the client address only in TCP mode',
      'service w: backend 127.0.0.1:9001 weight 300: HAProxy takes weights 0..256 (scale them down)',
    ]);
    let error: unknown;
    try {
      renderConfigFile(t, HAND_WRITTEN);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DriverError);
    expect(error).toMatchObject({ code: 'refused', remote: 'unsupported' });
  });
});
