import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalize, canonicalProblems, configId, encodeRules, type RuleTable, type Service } from '../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../src/rules/index.js';

const WRITTEN_ONE_WAY = `
services:
  - name: web
    listen: 10.0.0.1:80
    health: { type: http, path: /healthz, interval: 2s, expect: 2xx }
    backends:
      - { address: "[2001:db8::1]:8080", weight: 1 }
      - { address: 10.0.0.2:8080 }
  - name: dns
    listen: "[::ffff:10.0.0.1]:53"
    protocol: udp
    algorithm: maglev
    backends: [{ address: 10.0.0.3:53 }]
`;

// Same meaning: JSON, other key and list orders, other duration and IPv6 spellings, explicit defaults.
const WRITTEN_ANOTHER_WAY = `{
  "services": [
    { "backends": [{ "address": "10.0.0.3:53", "weight": 1, "state": "enabled" }],
      "maglev-table-size": 65537, "hash-key": "source-ip", "algorithm": "maglev",
      "protocol": "udp", "listen": "[0:0:0:0:0:FFFF:0A00:0001]:53", "name": "dns", "idle-timeout": "30s" },
    { "name": "web", "protocol": "tcp", "algorithm": "round-robin", "listen": "10.0.0.1:80", "idle-timeout": "5m",
      "health": { "expect": "200-299", "fall": 3, "rise": 2, "timeout": "1000ms", "interval": "2000ms", "path": "/healthz", "type": "http" },
      "backends": [
        { "address": "10.0.0.2:8080", "max-connections": 0, "backup": false },
        { "address": "[2001:0DB8:0000:0000:0000:0000:0000:0001]:8080", "weight": 1 }
      ] }
  ]
}`;

describe('configId', () => {
  it('is the SHA-256 of the canonical encoding', () => {
    const table = loadRules(WRITTEN_ONE_WAY, 'a.yaml');
    expect(configId(table)).toBe(createHash('sha256').update(encodeRules(table)).digest('hex'));
    expect(configId(table)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same however the same rules are written', () => {
    expect(configId(loadRules(WRITTEN_ANOTHER_WAY, 'b.json'))).toBe(configId(loadRules(WRITTEN_ONE_WAY, 'a.yaml')));
  });

  it('ignores settings that do not apply to the chosen algorithm or check type', () => {
    const table = loadRules(WRITTEN_ONE_WAY, 'a.yaml');
    const web = table.services.find((s) => s.name === 'web')!;
    const withNoise: RuleTable = {
      services: [...table.services.filter((s) => s !== web), { ...web, hashKey: '5-tuple', maglevTableSize: 251, backends: [...web.backends].reverse() }],
    };
    expect(configId(canonicalize(withNoise))).toBe(configId(table));
    const tcp = loadRules('services: [{ name: a, listen: 10.0.0.1:80, health: { type: tcp }, backends: [{ address: 10.0.0.2:80 }] }]', 't.yaml');
    const health = tcp.services[0]!.health!;
    const noisy = { services: [{ ...tcp.services[0]!, health: { ...health, path: '/x', expectStatus: [200, 200] as [number, number] } }] };
    expect(configId(canonicalize(noisy))).toBe(configId(tcp));
  });

  it('changes with every field that changes behaviour', () => {
    const base: Service = {
      name: 'web',
      listen: '10.0.0.1:80',
      protocol: 'tcp',
      algorithm: 'maglev',
      hashKey: 'source-ip',
      maglevTableSize: 65_537,
      persistence: { type: 'source-ip', timeoutMs: 300_000 },
      health: { type: 'http', intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '/healthz', expectStatus: [200, 399] },
      fallback: '10.0.0.9:80',
      idleTimeoutMs: 300_000,
      backends: [
        { address: '10.0.0.2:80', weight: 1, maxConnections: 0, backup: false, state: 'enabled' },
        { address: '10.0.0.3:80', weight: 1, maxConnections: 0, backup: false, state: 'enabled' },
      ],
    };
    const other: Service = { ...base, name: 'zzz', listen: '10.0.0.1:81', backends: [base.backends[0]!] };
    const health = base.health!;
    const backend = (patch: Partial<Service['backends'][number]>): Partial<Service> => ({
      backends: [{ ...base.backends[0]!, ...patch }, base.backends[1]!],
    });
    const variants: Record<string, Partial<Service>> = {
      name: { name: 'www' },
      'listen address': { listen: '10.0.0.4:80' },
      'listen port': { listen: '10.0.0.1:8080' },
      'listen family': { listen: '[::ffff:10.0.0.1]:80' },
      protocol: { protocol: 'udp' },
      algorithm: { algorithm: 'two-choices', hashKey: 'source-ip', maglevTableSize: 65_537 },
      'hash key': { hashKey: '5-tuple' },
      'maglev table size': { maglevTableSize: 65_521 },
      'no persistence': { persistence: null },
      'persistence timeout': { persistence: { type: 'source-ip', timeoutMs: 300_001 } },
      'no health check': { health: null },
      'tcp health check': { health: { ...health, type: 'tcp', path: '', expectStatus: [0, 0] } },
      'health interval': { health: { ...health, intervalMs: 2_001 } },
      'health timeout': { health: { ...health, timeoutMs: 999 } },
      'health rise': { health: { ...health, rise: 3 } },
      'health fall': { health: { ...health, fall: 4 } },
      'health path': { health: { ...health, path: '/healthy' } },
      'lowest healthy status': { health: { ...health, expectStatus: [201, 399] } },
      'highest healthy status': { health: { ...health, expectStatus: [200, 398] } },
      'no fallback': { fallback: null },
      fallback: { fallback: '10.0.0.9:81' },
      'idle timeout': { idleTimeoutMs: 299_000 },
      'backend address': backend({ address: '10.0.0.1:81' }),
      'backend weight': backend({ weight: 0 }),
      'backend max connections': backend({ maxConnections: 1 }),
      'backend backup': backend({ backup: true }),
      'backend state drain': backend({ state: 'drain' }),
      'backend state disabled': backend({ state: 'disabled' }),
      'one backend fewer': { backends: [base.backends[0]!] },
      'one backend more': { backends: [...base.backends, { ...base.backends[0]!, address: '10.0.0.4:80' }] },
    };
    const ids = new Map<string, string>();
    const record = (label: string, table: RuleTable) => {
      const canonical = canonicalize(table);
      expect(canonicalProblems(canonical), label).toEqual([]);
      const id = configId(canonical);
      expect([...ids.entries()].find(([, seen]) => seen === id)?.[0], `${label} has the id of`).toBeUndefined();
      ids.set(label, id);
    };
    record('base', { services: [base] });
    for (const [label, patch] of Object.entries(variants)) record(label, { services: [{ ...base, ...patch }] });
    record('one service more', { services: [base, other] });
    expect(ids.size).toBe(Object.keys(variants).length + 2);
  });
});
