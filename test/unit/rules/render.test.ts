import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/rules/index.js';
import { renderRules } from '../../../src/rules/render.js';
import { service, table } from '../interop/helpers.js';

describe('renderRules', () => {
  it('leaves out every value equal to its default', () => {
    const yaml = renderRules(table(service({ name: 'web', listen: '10.0.0.1:80', backends: [{ address: '10.0.0.2:80' }] })));
    expect(yaml).toBe(['services:', '  - name: web', '    listen: 10.0.0.1:80', '    backends:', '      - { address: 10.0.0.2:80 }', ''].join('\n'));
  });

  it('writes what differs, in the dialect of examples/*.yaml', () => {
    const yaml = renderRules(
      table(
        service({
          name: 'web',
          algorithm: 'weighted-round-robin',
          persistence: { type: 'source-ip', timeoutMs: 600_000 },
          health: { type: 'http', intervalMs: 500, timeoutMs: 250, rise: 2, fall: 5, path: '/healthz', expectStatus: [200, 299] },
          fallback: '127.0.0.1:9999',
          idleTimeoutMs: 90_000,
          backends: [{ weight: 3 }, { maxConnections: 100, state: 'drain' }, { backup: true }],
        }),
      ),
    );
    expect(yaml).toContain('algorithm: weighted-round-robin');
    expect(yaml).toContain('persistence: { type: source-ip, timeout: 10m }');
    expect(yaml).toContain('health: { type: http, path: /healthz, expect: 2xx, interval: 500ms, timeout: 250ms, fall: 5 }');
    expect(yaml).toContain('fallback: 127.0.0.1:9999');
    expect(yaml).toContain('idle-timeout: 1m30s');
    expect(yaml).toContain('- { address: 127.0.0.1:9001, weight: 3 }');
    expect(yaml).toContain('- { address: 127.0.0.1:9002, max-connections: 100, state: drain }');
    expect(yaml).toContain('- { address: 127.0.0.1:9003, backup: true }');
  });

  it('spells a single expected status as a number, a range as a range, the default not at all', () => {
    const health = (expectStatus: [number, number]) =>
      renderRules(table(service({ health: { type: 'http', intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '/', expectStatus }, backends: [{}] })));
    expect(health([204, 204])).toContain('health: { type: http, expect: 204 }');
    expect(health([200, 302])).toContain('expect: 200-302');
    expect(health([200, 399])).toContain('health: { type: http }');
  });

  it('keeps udp idle timeouts at their own default, maglev settings only for maglev', () => {
    const yaml = renderRules(
      table(service({ protocol: 'udp', idleTimeoutMs: 30_000, algorithm: 'maglev', hashKey: '5-tuple', maglevTableSize: 251, backends: [{}] })),
    );
    expect(yaml).not.toContain('idle-timeout');
    expect(yaml).toContain('hash-key: 5-tuple');
    expect(yaml).toContain('maglev-table-size: 251');
  });

  it('quotes what YAML would misread: IPv6 endpoints, names that look like booleans or numbers', () => {
    const yaml = renderRules(table(service({ name: 'true', listen: '[2001:db8::1]:80', backends: [{ address: '[2001:db8::2]:80' }] })));
    expect(yaml).toContain('name: "true"');
    expect(yaml).toContain('listen: "[2001:db8::1]:80"');
    expect(loadRules(yaml, 'x.yaml').services[0]?.name).toBe('true');
  });

  it('separates services by a blank line and puts the header above as comments', () => {
    const yaml = renderRules(table(service({ name: 'a', backends: [{}] }), service({ name: 'b', listen: '127.0.0.1:8001', backends: [{}] })), {
      header: ['Imported from x.cfg.'],
    });
    expect(yaml.startsWith('# Imported from x.cfg.\n')).toBe(true);
    expect(yaml).toContain('\n\n  - name: b');
  });

  it('writes an empty table as an empty list', () => {
    expect(renderRules({ services: [] })).toBe('services: []\n');
    expect(loadRules(renderRules({ services: [] }), 'x.yaml')).toEqual({ services: [] });
  });
});
