import { describe, expect, it } from 'vitest';
import { exportConfig, formatExportOmission } from '../../../../src/interop/index.js';
import { service, table } from '../helpers.js';

const haproxy = (...services: Parameters<typeof service>[0][]) => {
  const result = exportConfig(table(...services.map(service)), 'haproxy');
  return { text: result.text, report: result.report.map(formatExportOmission) };
};

describe('HAProxy export', () => {
  it('writes a listen section per service with defaults that keep haproxy -c quiet', () => {
    const { text, report } = haproxy({ name: 'web', listen: '10.0.0.1:80', idleTimeoutMs: 90_000, backends: [{ address: '10.0.0.2:80' }] });
    expect(text).toContain('defaults\n    mode tcp\n    timeout connect 5s\n');
    expect(text).toContain(
      'listen web\n    bind 10.0.0.1:80\n    balance roundrobin\n    timeout client 90s\n    timeout server 90s\n    server s1 10.0.0.2:80\n',
    );
    expect(report).toEqual([]);
  });

  it('writes health, persistence, backups, states, limits and the sorry backend', () => {
    const { text } = haproxy({
      name: 'web',
      algorithm: 'weighted-round-robin',
      persistence: { type: 'source-ip', timeoutMs: 600_000 },
      health: { type: 'http', intervalMs: 3_000, timeoutMs: 500, rise: 2, fall: 4, path: '/h#x', expectStatus: [200, 299] },
      fallback: '127.0.0.1:9999',
      backends: [{ weight: 3, maxConnections: 100 }, { backup: true }, { state: 'disabled' }],
    });
    expect(text).toContain('    stick-table type ip size 1m expire 10m\n    stick on src\n    option allbackups\n');
    expect(text).toContain(
      '    option httpchk GET /h\\#x\n    http-check expect status 200-299\n    timeout check 500ms\n    default-server inter 3s rise 2 fall 4\n',
    );
    expect(text).toContain('    use_backend web:fallback if { nbsrv(web) eq 0 }\n');
    expect(text).toContain(
      '    server s1 127.0.0.1:9001 weight 3 maxconn 100 check\n    server s2 127.0.0.1:9002 backup check\n    server s3 127.0.0.1:9003 disabled check\n',
    );
    expect(text).toContain('backend web:fallback\n    timeout server 5m\n    server fallback 127.0.0.1:9999\n');
  });

  it('maps each algorithm', () => {
    const balance = (algorithm: Parameters<typeof service>[0]['algorithm']) =>
      haproxy({ algorithm, backends: [{ weight: 2 }, {}] }).text.match(/balance .*(\n {4}hash-type .*)?/)?.[0];
    expect(balance('weighted-round-robin')).toBe('balance roundrobin');
    expect(balance('weighted-least-connections')).toBe('balance leastconn');
    expect(balance('two-choices')).toBe('balance random(2)');
    expect(balance('maglev')).toBe('balance source\n    hash-type consistent');
  });

  it('reports what HAProxy cannot express', () => {
    const { text, report } = haproxy(
      { name: 'dns', protocol: 'udp', listen: '127.0.0.1:53', backends: [{}] },
      { name: 'lrt', listen: '127.0.0.1:81', algorithm: 'least-response-time', backends: [{}] },
      { name: 'mg', listen: '127.0.0.1:82', algorithm: 'maglev', hashKey: '5-tuple', maglevTableSize: 251, backends: [{ state: 'drain' }] },
    );
    expect(text).not.toContain('listen dns');
    expect(report).toEqual([
      'dns: protocol: HAProxy 2.6 proxies TCP only; this UDP service is not exported',
      'lrt: algorithm: HAProxy has no least-response-time balancing; leastconn is the closest and is written instead',
      'mg: hash-key: HAProxy hashes the client address only in TCP mode; 5-tuple is written as balance source',
      "mg: maglev-table-size: HAProxy's consistent hash has no table size to set",
      expect.stringMatching(/^mg: backends\[127\.0\.0\.1:9001\]\.state: HAProxy has no drain state/),
    ]);
  });

  it('keeps weights reading back as the same algorithm, and scales weights above 256', () => {
    const plain = haproxy({ algorithm: 'round-robin', backends: [{ weight: 5 }, { weight: 1 }, { weight: 0 }] });
    expect(plain.text).toContain('server s1 127.0.0.1:9001\n    server s2 127.0.0.1:9002\n    server s3 127.0.0.1:9003 weight 0\n');
    expect(plain.report).toEqual([expect.stringContaining('round-robin ignores weights other than 0')]);
    const equal = haproxy({ algorithm: 'weighted-round-robin', backends: [{ weight: 2 }, { weight: 2 }] });
    expect(equal.report).toEqual([expect.stringContaining('with equal weights behaves like round-robin')]);
    const big = haproxy({ algorithm: 'weighted-round-robin', backends: [{ weight: 1_000 }, { weight: 500 }, { weight: 1 }] });
    expect(big.text).toContain('server s1 127.0.0.1:9001 weight 256\n    server s2 127.0.0.1:9002 weight 128\n    server s3 127.0.0.1:9003\n');
    expect(big.report).toEqual([expect.stringContaining('scaled to 1..256')]);
  });

  it('writes IPv6 listeners with brackets and an ipv6 stick-table', () => {
    const { text } = haproxy({
      listen: '[2001:db8::1]:80',
      persistence: { type: 'source-ip', timeoutMs: 300_000 },
      backends: [{ address: '[2001:db8::2]:80' }],
    });
    expect(text).toContain('    bind [2001:db8::1]:80\n');
    expect(text).toContain('stick-table type ipv6');
    expect(text).toContain('server s1 [2001:db8::2]:80');
  });
});
