import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, type RuleTable } from '../../../src/protocol/rules/index.js';
import { loadRules, loadRulesFile, RulesError } from '../../../src/rules/index.js';

const EXAMPLE = `
services:
  - name: web
    listen: 127.0.0.1:8080
    protocol: tcp
    algorithm: weighted-round-robin
    persistence: { type: source-ip, timeout: 300s }
    health: { type: tcp, interval: 2s, timeout: 1s, rise: 2, fall: 3 }
    fallback: 127.0.0.1:9999
    idle-timeout: 300s
    backends:
      - { address: 127.0.0.1:9001, weight: 3 }
      - { address: 127.0.0.1:9002, weight: 1, max-connections: 100 }
      - { address: 127.0.0.1:9003, backup: true, state: drain }
`;

describe('loadRules', () => {
  it('loads the documented example into the canonical model', () => {
    const expected: RuleTable = {
      services: [
        {
          name: 'web',
          listen: '127.0.0.1:8080',
          protocol: 'tcp',
          algorithm: 'weighted-round-robin',
          hashKey: 'source-ip',
          maglevTableSize: 65_537,
          persistence: { type: 'source-ip', timeoutMs: 300_000 },
          health: { type: 'tcp', intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '', expectStatus: [0, 0] },
          fallback: '127.0.0.1:9999',
          idleTimeoutMs: 300_000,
          backends: [
            { address: '127.0.0.1:9001', weight: 3, maxConnections: 0, backup: false, state: 'enabled' },
            { address: '127.0.0.1:9002', weight: 1, maxConnections: 100, backup: false, state: 'enabled' },
            { address: '127.0.0.1:9003', weight: 1, maxConnections: 0, backup: true, state: 'drain' },
          ],
        },
      ],
    };
    expect(loadRules(EXAMPLE, 'example.yaml')).toStrictEqual(expected);
  });

  it('fills every default of a minimal file', () => {
    const text = 'services:\n  - { name: dns, listen: 10.0.0.1:53, protocol: udp, backends: [{ address: 10.0.0.2:53 }] }\n';
    expect(loadRules(text, 'min.yaml')).toStrictEqual({
      services: [
        {
          name: 'dns',
          listen: '10.0.0.1:53',
          protocol: 'udp',
          algorithm: DEFAULTS.algorithm,
          hashKey: DEFAULTS.hashKey,
          maglevTableSize: DEFAULTS.maglevTableSize,
          persistence: null,
          health: null,
          fallback: null,
          idleTimeoutMs: DEFAULTS.idleTimeoutMs.udp,
          backends: [{ address: '10.0.0.2:53', weight: 1, maxConnections: 0, backup: false, state: 'enabled' }],
        },
      ],
    });
  });

  it('fills http check and persistence defaults, and reads every expect form', () => {
    const load = (health: string) =>
      loadRules(
        `services:\n  - { name: a, listen: 10.0.0.1:80, persistence: { type: source-ip }, health: ${health}, backends: [{ address: 10.0.0.2:80 }] }\n`,
        'h.yaml',
      ).services[0]!;
    const service = load('{ type: http }');
    expect(service.persistence).toStrictEqual({ type: 'source-ip', timeoutMs: DEFAULTS.persistenceTimeoutMs });
    expect(service.health).toStrictEqual({ type: 'http', intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '/', expectStatus: [200, 399] });
    expect(load('{ type: http, expect: 204 }').health?.expectStatus).toStrictEqual([204, 204]);
    expect(load('{ type: http, expect: 2xx }').health?.expectStatus).toStrictEqual([200, 299]);
    expect(load('{ type: http, expect: "301-308" }').health?.expectStatus).toStrictEqual([301, 308]);
    expect(load('{ type: http, interval: 1m30s, timeout: 1.5s }').health).toMatchObject({ intervalMs: 90_000, timeoutMs: 1_500 });
  });

  it('accepts JSON, including tabs and a $schema key for editors', () => {
    const json = `{\n\t"$schema": "urn:fulcrum:schema:rules:v1",\n\t"services": [{"name": "web", "listen": "[2001:DB8::0:1]:443", "algorithm": "maglev", "hash-key": "5-tuple", "maglev-table-size": 251,\n\t\t"backends": [{"address": "[2001:db8::a]:8443", "weight": 2}, {"address": "10.0.0.2:8443"}]}]\n}`;
    const service = loadRules(json, 'rules.json').services[0]!;
    expect(service).toMatchObject({ listen: '[2001:db8::1]:443', algorithm: 'maglev', hashKey: '5-tuple', maglevTableSize: 251 });
    expect(service.backends.map((b) => b.address)).toStrictEqual(['10.0.0.2:8443', '[2001:db8::a]:8443']);
  });

  it('sorts services by name and backends numerically by address', () => {
    const text = `services:
  - { name: b, listen: 10.0.0.1:81, backends: [{ address: 10.0.0.10:80 }, { address: "[::1]:80" }, { address: 10.0.0.9:80 }, { address: 10.0.0.9:79 }] }
  - { name: B, listen: 10.0.0.1:82, backends: [{ address: 10.0.0.2:80 }] }
  - { name: a, listen: 10.0.0.1:83, backends: [{ address: 10.0.0.2:80 }] }
`;
    const table = loadRules(text, 's.yaml');
    expect(table.services.map((s) => s.name)).toStrictEqual(['B', 'a', 'b']);
    expect(table.services[2]!.backends.map((b) => b.address)).toStrictEqual(['10.0.0.9:79', '10.0.0.9:80', '10.0.0.10:80', '[::1]:80']);
  });

  it('lets operators share settings through anchors and merge keys', () => {
    const text = `services:
  - name: a
    listen: 10.0.0.1:80
    health: &probe { type: http, path: /healthz, interval: 5s }
    backends: [{ address: 10.0.0.2:80 }]
  - name: b
    listen: 10.0.0.1:81
    health: { <<: *probe, path: /ready }
    backends: [{ address: 10.0.0.2:81 }]
`;
    const [a, b] = loadRules(text, 'anchors.yaml').services;
    expect(a!.health).toMatchObject({ path: '/healthz', intervalMs: 5_000 });
    expect(b!.health).toMatchObject({ path: '/ready', intervalMs: 5_000 });
  });

  it('accepts an empty list of services (an appliance with nothing to serve)', () => {
    expect(loadRules('services: []\n', 'none.yaml')).toStrictEqual({ services: [] });
  });
});

describe('loadRulesFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', async () => {
    const file = path.join(dir, 'ok.yaml');
    writeFileSync(file, EXAMPLE);
    expect((await loadRulesFile(file)).services).toHaveLength(1);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends: [{ address: 10.0.0.2:80, weight: x }]\n');
    await expect(loadRulesFile(bad)).rejects.toThrow(`${bad}:4:48 services[0].backends[0].weight: must be an integer 0..65535`);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const file = path.join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.from([0x73, 0x3a, 0x20, 0xe9, 0x0a]));
    const error = await loadRulesFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RulesError);
    expect((error as RulesError).message).toBe(`${file}:1:1 (root): the file is not UTF-8 text`);
  });
});
