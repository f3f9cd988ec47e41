import { describe, expect, it } from 'vitest';
import { ConfigManager, MgmtError } from '../../../../../firmware/mgmt/config-manager.js';
import { recordFromTable } from '../../../../../firmware/mgmt/config-record.js';
import { backendExists, commitWeights, withWeights } from '../../../../../firmware/mgmt/mib/weights.js';
import { configId, encodeRules } from '../../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../../src/rules/index.js';
import { MemoryStorage } from '../../../../../sim/ports/state-dir.js';
import { FakeClock } from '../../../../support/fake-clock.js';

const rules = loadRules(
  `services:
  - name: web
    listen: 10.0.0.1:80
    backends:
      - { address: 10.0.0.2:80 }
      - { address: 10.0.0.3:80, weight: 4 }
  - name: api
    listen: 10.0.0.1:81
    backends:
      - { address: 10.0.0.9:80 }
`,
  'w.yaml',
);

function manager(): { config: ConfigManager; applied: string[]; clock: FakeClock } {
  const clock = new FakeClock();
  const applied: string[] = [];
  const config = new ConfigManager(
    { clock, storage: new MemoryStorage(), apply: (_t, _e, id) => void applied.push(id) },
    { running: recordFromTable(rules), history: [], saved: { startupId: '', history: [] } },
  );
  return { config, applied, clock };
}

describe('weight writes (fulcrumBackendWeight)', () => {
  it('names backends by MIB position: services by name, backends by address, from 1', () => {
    // api sorts before web.
    expect(rules.services.map((s) => s.name)).toEqual(['api', 'web']);
    expect(backendExists(rules, 2, 2)).toBe(true);
    expect(backendExists(rules, 1, 2)).toBe(false);
    expect(backendExists(rules, 0, 1)).toBe(false);
    const changed = withWeights(rules, [{ service: 2, backend: 2, weight: 9 }]);
    expect(changed.services[1]!.backends[1]!.weight).toBe(9);
    expect(rules.services[1]!.backends[1]!.weight).toBe(4);
    expect(() => withWeights(rules, [{ service: 3, backend: 1, weight: 1 }])).toThrow(MgmtError);
  });

  it('commits the running table with the new weights (a new config id, saved as startup)', async () => {
    const { config, applied } = manager();
    const result = await commitWeights(config, [
      { service: 2, backend: 1, weight: 0 },
      { service: 1, backend: 1, weight: 7 },
    ]);
    const expected = configId(
      withWeights(rules, [
        { service: 2, backend: 1, weight: 0 },
        { service: 1, backend: 1, weight: 7 },
      ]),
    );
    expect(result).toEqual({ configId: expected, previousId: configId(rules) });
    expect(config.running.id).toBe(expected);
    expect(config.startup.id).toBe(expected);
    expect(applied).toEqual([expected]);
    expect(config.history.map((c) => c.id)).toEqual([configId(rules)]);
  });

  it('does nothing when the weights already are those', async () => {
    const { config, applied } = manager();
    expect(await commitWeights(config, [{ service: 2, backend: 2, weight: 4 }])).toBeNull();
    expect(applied).toEqual([]);
    expect(config.history).toEqual([]);
  });

  it('leaves a candidate staged by another channel staged', async () => {
    const { config } = manager();
    const other = loadRules('services: []', 'empty.yaml');
    config.setCandidate(encodeRules(other));
    await commitWeights(config, [{ service: 1, backend: 1, weight: 2 }]);
    expect(config.candidate?.id).toBe(configId(other));
  });

  it('refuses while a commit awaits confirmation: a plain commit would confirm it', async () => {
    const { config } = manager();
    config.setCandidate(encodeRules(withWeights(rules, [{ service: 1, backend: 1, weight: 3 }])));
    await config.commit({ confirmTimeoutMs: 60_000 });
    const before = config.running.id;
    await expect(commitWeights(config, [{ service: 1, backend: 1, weight: 5 }])).rejects.toThrow(/awaits confirmation/);
    expect(config.running.id).toBe(before);
    expect(config.pending).not.toBeNull();
  });
});
