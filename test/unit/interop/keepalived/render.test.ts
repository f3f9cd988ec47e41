import { describe, expect, it } from 'vitest';
import { exportConfig, formatExportOmission } from '../../../../src/interop/index.js';
import type { Service } from '../../../../src/protocol/rules/model.js';
import { service, table } from '../helpers.js';

const keepalived = (...services: Service[]) => {
  const result = exportConfig(table(...services), 'keepalived');
  return { text: result.text, report: result.report.map(formatExportOmission) };
};

describe('keepalived export', () => {
  it('writes a plain virtual_server when the name is the one its address gives, a group otherwise', () => {
    const plain = keepalived(service({ name: 'vs-10.0.0.1-80', listen: '10.0.0.1:80', backends: [{ address: '10.0.0.2:80' }] }));
    expect(plain.text).toContain(
      'virtual_server 10.0.0.1 80 {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 10.0.0.2 80 {\n        weight 1\n    }\n}',
    );
    expect(plain.text).not.toContain('virtual_server_group');
    const named = keepalived(service({ name: 'web', listen: '10.0.0.1:80', backends: [{ address: '10.0.0.2:80' }] }));
    expect(named.text).toContain('virtual_server_group web {\n    10.0.0.1 80\n}\n\nvirtual_server group web {');
    expect(named.report).toEqual([]);
  });

  it('writes idle timeouts as lvs_timeouts, one per protocol, and reports services that differ', () => {
    const { text, report } = keepalived(
      service({ name: 'a', idleTimeoutMs: 120_000, backends: [{}] }),
      service({ name: 'b', listen: '127.0.0.1:8001', idleTimeoutMs: 60_000, backends: [{}] }),
      service({ name: 'c', listen: '127.0.0.1:53', protocol: 'udp', idleTimeoutMs: 30_500, backends: [{}] }),
    );
    expect(text).toContain('global_defs {\n    lvs_timeouts tcp 120 udp 31\n}');
    expect(report).toEqual([
      "b: idle-timeout: IPVS has one TCP timeout for the whole host; a's is written",
      'c: idle-timeout: keepalived counts this in whole seconds; 31s is written',
    ]);
  });

  it('writes scheduler, persistence, sorry server, uthreshold and checkers', () => {
    const { text } = keepalived(
      service({
        name: 'web',
        algorithm: 'maglev',
        hashKey: '5-tuple',
        persistence: { type: 'source-ip', timeoutMs: 120_000 },
        health: { type: 'http', intervalMs: 2_500, timeoutMs: 500, rise: 1, fall: 3, path: '/a{b}', expectStatus: [200, 299] },
        fallback: '127.0.0.1:9999',
        backends: [{ weight: 4, maxConnections: 50 }],
      }),
    );
    expect(text).toContain(
      '    lb_algo mh\n    lb_kind NAT\n    protocol TCP\n    mh-port\n    persistence_timeout 120\n    delay_loop 2.5\n    sorry_server 127.0.0.1 9999\n',
    );
    expect(text).toContain(
      '        weight 4\n        uthreshold 50\n        HTTP_GET {\n            url {\n                path "/a{b}"\n                status_code 200-299\n            }\n            connect_timeout 0.5\n            retry 2\n            delay_before_retry 2.5\n        }\n',
    );
  });

  it('reports what keepalived cannot express', () => {
    const { text, report } = keepalived(
      service({
        name: 'web',
        algorithm: 'least-response-time',
        health: { type: 'tcp', intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '', expectStatus: [0, 0] },
        backends: [{}, { backup: true }, { state: 'disabled' }, { state: 'drain' }, { address: '[::1]:80' }],
      }),
    );
    expect(text).toContain('lb_algo wlc');
    expect(text).toContain('real_server 127.0.0.1 9004 {\n        weight 0\n');
    expect(report).toEqual([
      'web: backends[[::1]:80]: IPVS cannot forward between IPv4 and IPv6 without tunnelling; not exported',
      'web: backends[127.0.0.1:9002].backup: keepalived has no backup real servers (only one sorry_server); this backup is not exported',
      'web: backends[127.0.0.1:9003].state: keepalived cannot list a real server that takes nothing; not exported',
      'web: algorithm: IPVS has no least-response-time scheduler; wlc, the closest, is written',
      'web: health.rise: keepalived brings a real server back after one good check; rise is written as 1',
      'web: backends[127.0.0.1:9004].state: keepalived has no drain state; written as weight 0 (no new flows)',
    ]);
  });

  it('leaves out a service with nothing left to balance to', () => {
    const { text, report } = keepalived(service({ name: 'web', backends: [{ backup: true }] }));
    expect(text).not.toContain('virtual_server');
    expect(report).toContain('web: backends: no backend keepalived can express remains; the service is not exported');
  });
});
