import { describe, expect, it } from 'vitest';
import { imported, importError, onLine } from '../helpers.js';

const k = (text: string) => imported(text, 'keepalived', 'keepalived.conf');
const vs = (body: string, head = '10.0.0.1 80') => k(`virtual_server ${head} {\n    protocol TCP\n    lb_kind NAT\n${body}}\n`);
const rs = (address = '10.0.0.2 80', body = '') => `    real_server ${address} {\n        weight 1\n${body}    }\n`;

describe('keepalived virtual servers', () => {
  it('a virtual server is a service named after its address, with IPVS idle defaults', () => {
    const r = vs(`    lb_algo wrr\n${rs('10.0.0.2 8080', '        weight 3\n')}${rs('10.0.0.3 8080')}`);
    expect(r.service('vs-10.0.0.1-80')).toMatchObject({
      listen: '10.0.0.1:80',
      protocol: 'tcp',
      algorithm: 'weighted-round-robin',
      idleTimeoutMs: 900_000,
      health: null,
    });
    expect(r.service('vs-10.0.0.1-80').backends.map((b) => [b.address, b.weight])).toEqual([
      ['10.0.0.2:8080', 3],
      ['10.0.0.3:8080', 1],
    ]);
    expect(r.reasons).toEqual([]);
  });

  it.each([
    ['rr', 'round-robin'],
    ['wrr', 'weighted-round-robin'],
    ['lc', 'least-connections'],
    ['wlc', 'weighted-least-connections'],
    ['twos', 'two-choices'],
    ['mh', 'maglev'],
  ])('maps lb_algo %s to %s without a report', (scheduler, algorithm) => {
    const r = vs(`    lb_algo ${scheduler}\n${rs()}`);
    expect(r.service('vs-10.0.0.1-80').algorithm).toBe(algorithm);
    expect(r.reasons).toEqual([]);
  });

  it('reads lvs_sched like lb_algo, defaults to wlc, and takes mh-port as the 5-tuple', () => {
    expect(vs(`    lvs_sched lc\n${rs()}`).service('vs-10.0.0.1-80').algorithm).toBe('least-connections');
    expect(vs(rs()).service('vs-10.0.0.1-80').algorithm).toBe('weighted-least-connections');
    expect(vs(`    lb_algo mh\n    mh-port\n${rs()}`).service('vs-10.0.0.1-80')).toMatchObject({ algorithm: 'maglev', hashKey: '5-tuple' });
  });

  it('reports sh (not consistent) and schedulers without a counterpart, using the closest', () => {
    const sh = vs(`    lb_algo sh\n${rs()}`);
    expect(sh.service('vs-10.0.0.1-80').algorithm).toBe('maglev');
    expect(onLine(sh.reasons, 4)[0]).toContain('source hashing (sh) remaps clients');
    const sed = vs(`    lb_algo sed\n${rs()}`);
    expect(sed.service('vs-10.0.0.1-80').algorithm).toBe('weighted-least-connections');
    expect(onLine(sed.reasons, 4)[0]).toContain('shortest expected delay (sed) has no Fulcrum counterpart');
  });

  it('reads protocol UDP, persistence_timeout (6 minutes when bare) and the sorry server', () => {
    const r = vs(`    persistence_timeout\n    sorry_server 10.0.9.9 8080\n${rs()}`, '10.0.0.1 53');
    expect(r.service('vs-10.0.0.1-53')).toMatchObject({ persistence: { type: 'source-ip', timeoutMs: 360_000 }, fallback: '10.0.9.9:8080' });
    const udp = k(`virtual_server 10.0.0.1 53 {\n    protocol UDP\n    lb_kind NAT\n    persistence_timeout 50\n${rs('10.0.0.2 53')}}\n`);
    expect(udp.service('vs-10.0.0.1-53-udp')).toMatchObject({ protocol: 'udp', idleTimeoutMs: 300_000, persistence: { timeoutMs: 50_000 } });
  });

  it('reports DR and TUN forwarding, a missing protocol, and settings without a counterpart', () => {
    const r = k(`virtual_server 10.0.0.1 80 {\n    lb_kind DR\n    quorum 2\n    ops\n${rs()}}\n`);
    expect(r.service('vs-10.0.0.1-80').protocol).toBe('tcp');
    expect(onLine(r.reasons, 1)[0]).toContain('no "protocol"');
    expect(onLine(r.reasons, 2)[0]).toContain('direct routing and tunnelling are not carried');
    expect(onLine(r.reasons, 3)[0]).toContain('quorum is not carried');
    expect(onLine(r.reasons, 4)[0]).toContain('one-packet scheduling');
  });

  it('a virtual_server_group gives one service per address, named after the group', () => {
    const r = k(
      `virtual_server_group app {\n    10.0.0.1 80\n    10.0.0.2 80\n    10.0.0.10-20 80\n    fwmark 7\n}\nvirtual_server group app {\n    protocol TCP\n${rs('10.0.1.1 80')}}\n`,
    );
    expect(r.table.services.map((s) => [s.name, s.listen])).toEqual([
      ['app', '10.0.0.1:80'],
      ['app-2', '10.0.0.2:80'],
    ]);
    expect(onLine(r.reasons, 4)[0]).toContain('address ranges are not carried');
    expect(onLine(r.reasons, 5)[0]).toContain('firewall-mark entries');
  });

  it('reports fwmark services and services for every port', () => {
    const r = k(`virtual_server fwmark 1 {\n    protocol TCP\n${rs()}}\nvirtual_server 10.0.0.1 {\n    protocol TCP\n    persistence_timeout 60\n${rs()}}\n`);
    expect(r.table.services).toEqual([]);
    expect(onLine(r.reasons, 1)[0]).toContain('firewall-mark services');
    expect(onLine(r.reasons, 7)[0]).toContain('a virtual server for every port');
  });

  it('takes lvs_timeouts from global_defs as idle timeouts, and reports the rest of global_defs', () => {
    const r = k(`global_defs {\n    router_id lb1\n    lvs_timeouts tcp 7200 tcpfin 120 udp 60\n}\nvirtual_server 10.0.0.1 80 {\n    protocol TCP\n${rs()}}\n`);
    expect(r.service('vs-10.0.0.1-80').idleTimeoutMs).toBe(7_200_000);
    expect(onLine(r.reasons, 2)[0]).toContain('not applicable');
    expect(onLine(r.reasons, 3)[0]).toContain('half-closed TCP flows');
  });

  it('reports VRRP and host setup once per block, and includes as not followed', () => {
    const r = k(
      'vrrp_script chk {\n    script "/bin/true"\n}\nvrrp_instance VI_1 {\n    interface eth0\n}\nstatic_routes {\n    10.9.0.0/16 via 10.0.0.254\n}\ninclude /etc/keepalived/conf.d/*.conf\n',
    );
    expect(r.reasons.map((x) => x.split(':')[0])).toEqual([
      '1 vrrp_script chk',
      '4 vrrp_instance VI_1',
      '7 static_routes',
      '10 include /etc/keepalived/conf.d/*.conf',
    ]);
    expect(onLine(r.reasons, 4)[0]).toContain('failover (VRRP) is not part of a rule table');
  });

  it('refuses malformed virtual servers with positions', () => {
    expect(importError(() => k('virtual_server {\n}\n')).message).toBe(
      'keepalived.conf:1:1: "virtual_server" needs an address and port, "fwmark N" or "group NAME"',
    );
    expect(importError(() => k('virtual_server group nope {\n}\n')).message).toBe('keepalived.conf:1:22: no virtual_server_group named "nope"');
    expect(importError(() => vs('    real_server 10.0.0.2 80 {\n        weight heavy\n    }\n')).message).toBe(
      'keepalived.conf:5:16: "weight" needs a whole number, not "heavy"',
    );
  });
});

describe('keepalived real servers and checks', () => {
  it("reads uthreshold as max-connections and takes the virtual server's port when the real server has none", () => {
    const r = vs(`    real_server 10.0.0.2 {\n        weight 2\n        uthreshold 300\n        lthreshold 10\n    }\n`);
    expect(r.service('vs-10.0.0.1-80').backends).toEqual([{ address: '10.0.0.2:80', weight: 2, maxConnections: 300, backup: false, state: 'enabled' }]);
    expect(onLine(r.reasons, 7)[0]).toContain('lower connection threshold');
  });

  it('TCP_CHECK: interval delay_loop (60 s default), timeout connect_timeout (5 s), fall retry + 1, rise 1', () => {
    const defaults = vs(rs('10.0.0.2 80', '        TCP_CHECK {\n        }\n'));
    expect(defaults.service('vs-10.0.0.1-80').health).toEqual({
      type: 'tcp',
      intervalMs: 60_000,
      timeoutMs: 5_000,
      rise: 1,
      fall: 2,
      path: '',
      expectStatus: [0, 0],
    });
    const set = vs(
      `    delay_loop 6\n${rs('10.0.0.2 80', '        TCP_CHECK {\n            connect_timeout 3\n            retry 4\n            delay_before_retry 6\n        }\n')}`,
    );
    expect(set.service('vs-10.0.0.1-80').health).toMatchObject({ intervalMs: 6_000, timeoutMs: 3_000, rise: 1, fall: 5 });
    expect(set.reasons).toEqual([]);
  });

  it('timing set on the real server is the default of its checkers (nb_get_retry read as retry)', () => {
    const r = vs(rs('10.0.0.2 80', '        delay_loop 2.5\n        nb_get_retry 2\n        TCP_CHECK {\n            connect_timeout 0.5\n        }\n'));
    expect(r.service('vs-10.0.0.1-80').health).toMatchObject({ intervalMs: 2_500, timeoutMs: 500, fall: 3 });
  });

  it('reports retries spaced by delay_before_retry rather than by the interval', () => {
    const r = vs(`    delay_loop 10\n${rs('10.0.0.2 80', '        TCP_CHECK {\n            retry 2\n        }\n')}`);
    expect(onLine(r.reasons, 7)[0]).toContain('retries come 1s apart here');
  });

  it("HTTP_GET: the first url's path and status_code (200-299 by default); digests and extra urls reported", () => {
    const check =
      '        HTTP_GET {\n            url {\n                path /status\n                status_code 200 204\n                digest abc\n            }\n            url {\n                path /other\n            }\n            delay_before_retry 60\n        }\n';
    const r = vs(rs('10.0.0.2 80', check));
    expect(r.service('vs-10.0.0.1-80').health).toMatchObject({ type: 'http', path: '/status', expectStatus: [200, 200] });
    expect(onLine(r.reasons, 9)[0]).toContain('several status ranges');
    expect(onLine(r.reasons, 10)[0]).toContain('checking the response body');
    expect(onLine(r.reasons, 12)[0]).toContain('only the first url');
    const plain = vs(
      rs('10.0.0.2 80', '        HTTP_GET {\n            url {\n                path /\n            }\n            delay_before_retry 60\n        }\n'),
    );
    expect(plain.service('vs-10.0.0.1-80').health?.expectStatus).toEqual([200, 299]);
  });

  it('SSL_GET, DNS_CHECK and SMTP_CHECK import with a report; script and ping checks are reported only', () => {
    const ssl = vs(rs('10.0.0.2 443', '        SSL_GET {\n            url {\n                path /\n            }\n        }\n'));
    expect(ssl.service('vs-10.0.0.1-80').health?.type).toBe('http');
    expect(onLine(ssl.reasons, 6)[0]).toContain('TLS is not carried');
    const dns = vs(rs('10.0.0.2 53', '        DNS_CHECK {\n            type A\n        }\n'));
    expect(dns.service('vs-10.0.0.1-80').health).toMatchObject({ type: 'tcp', fall: 4 });
    const misc = vs(rs('10.0.0.2 80', '        MISC_CHECK {\n            misc_path "/bin/check"\n        }\n'));
    expect(misc.service('vs-10.0.0.1-80').health).toBeNull();
    expect(onLine(misc.reasons, 6)[0]).toContain('only connect and HTTP checks are carried');
  });

  it('reports a check on another port and real servers without a checker', () => {
    const r = vs(
      `${rs('10.0.0.2 80', '        TCP_CHECK {\n            connect_port 8080\n            delay_before_retry 60\n        }\n')}${rs('10.0.0.3 80')}`,
    );
    expect(onLine(r.reasons, 6)[0]).toContain("Fulcrum probes the backend's own port 80");
    expect(onLine(r.reasons, 11)[0]).toContain('real server without a checker');
  });

  it('drops real servers named by host', () => {
    const r = vs(`${rs('app1.internal 80')}${rs('10.0.0.3 80')}`);
    expect(r.service('vs-10.0.0.1-80').backends.map((b) => b.address)).toEqual(['10.0.0.3:80']);
    expect(onLine(r.reasons, 4)[0]).toContain('host name');
  });
});
