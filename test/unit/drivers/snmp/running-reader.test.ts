/**
 * readRunningEncoding against a scripted agent: it returns the table fulcrumConfigId names before
 * and after the walk, walks again while the configuration changes under it, gives up clearly
 * after a bounded number of walks, and names the column of a row that is not a rule table.
 */

import { describe, expect, it } from 'vitest';
import { MAX_RUNNING_READS, readRunningEncoding, tableFrom } from '../../../../drivers/snmp/running-reader.js';
import type { SnmpSession, Varbind } from '../../../../drivers/snmp/session.js';
import { runningVarbinds } from '../../../../firmware/mgmt/mib/running-view.js';
import { fromHex } from '../../../../src/protocol/digest.js';
import { FulcrumMib as M, formatOid, SmiType } from '../../../../src/protocol/mib/index.js';
import { configId, decodeRules, type RuleTable } from '../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../src/rules/index.js';

const table = (weight: number): RuleTable =>
  loadRules(
    `services:
  - name: web
    listen: 127.0.0.1:8080
    algorithm: maglev
    maglev-table-size: 1009
    health: { type: http, interval: 2s, timeout: 1s, path: /healthz, expect: 200 }
    persistence: { type: source-ip, timeout: 5m }
    backends: [{ address: 192.0.2.1:80, weight: ${weight} }, { address: 192.0.2.2:80, backup: true }]
`,
    'w.yaml',
  );

const wire = (t: RuleTable): Varbind[] =>
  runningVarbinds(t).map((v) => ({
    oid: formatOid(v.oid),
    type: v.type,
    value: v.type === SmiType.OctetString ? new TextEncoder().encode(v.value as string) : (v.value as number),
  }));

/** An agent whose config id answers come from `ids` in turn (the last repeats) and whose walks from `walks`. */
function scripted(ids: string[], walks: Varbind[][]): SnmpSession & { gets: number; walked: number } {
  const s = {
    gets: 0,
    walked: 0,
    async get(oids: string[]) {
      expect(oids).toEqual([`${formatOid(M.fulcrumConfigId)}.0`]);
      const id = ids[Math.min(s.gets++, ids.length - 1)]!;
      return [{ oid: oids[0]!, type: SmiType.OctetString, value: fromHex(id) }];
    },
    async walk(root: string) {
      expect(root).toBe(formatOid(M.fulcrumRunning));
      return walks[Math.min(s.walked++, walks.length - 1)]!;
    },
  };
  return s as unknown as SnmpSession & { gets: number; walked: number };
}

describe('reading the running table over SNMP', () => {
  const [a, b] = [table(3), table(9)];
  const [idA, idB] = [configId(a), configId(b)];

  it('returns the canonical encoding of the table fulcrumConfigId names', async () => {
    const s = scripted([idA], [wire(a)]);
    const bytes = await readRunningEncoding(s);
    expect(decodeRules(bytes)).toEqual(a);
    expect(s.walked).toBe(1);
  });

  it('walks again when a commit lands mid-walk, and returns the new table', async () => {
    // Before: a, after: b (changed during walk 1); walk 2 sees b throughout.
    const s = scripted([idA, idB, idB, idB], [wire(a), wire(b)]);
    expect(configId(decodeRules(await readRunningEncoding(s)))).toBe(idB);
    expect(s.walked).toBe(2);
  });

  it('walks again when the rows are of another config than the id around them (a snapshot from before the change)', async () => {
    const s = scripted([idB], [wire(a), wire(b)]);
    expect(configId(decodeRules(await readRunningEncoding(s)))).toBe(idB);
  });

  it(`gives up after ${MAX_RUNNING_READS} walks of a configuration that keeps changing`, async () => {
    const ids = Array.from({ length: 2 * MAX_RUNNING_READS }, (_, i) => (i % 2 === 0 ? idA : idB));
    const s = scripted(ids, [wire(a)]);
    await expect(readRunningEncoding(s)).rejects.toMatchObject({
      code: 'refused',
      remote: 'configChanging',
      message: expect.stringMatching(/changed from [0-9a-f]{64} to [0-9a-f]{64} while it was read \(3 reads\)/),
    });
    expect(s.walked).toBe(MAX_RUNNING_READS);
  });

  it('an agent without fulcrumRunning is told apart from an empty table', async () => {
    await expect(readRunningEncoding(scripted([idA], [[]]))).rejects.toMatchObject({
      remote: 'unsupported',
      message: expect.stringContaining('serial console'),
    });
    const empty = configId({ services: [] });
    expect(decodeRules(await readRunningEncoding(scripted([empty], [[]])))).toEqual({ services: [] });
  });

  it('names the column of a row that is not a rule table', () => {
    const rows = wire(a);
    const path = `${formatOid(M.fulcrumRunServiceHealthPath)}.1`;
    const bad = rows.map((v) => (v.oid === path ? { ...v, value: new TextEncoder().encode('healthz') } : v));
    expect(() => tableFrom(bad)).toThrow(/fulcrumRunServiceHealthPath\.1: "healthz": must start with "\/"/);
    const missing = rows.filter((v) => v.oid !== `${formatOid(M.fulcrumRunBackendWeight)}.1.2`);
    expect(() => tableFrom(missing)).toThrow(/backend row 1\.2 has no fulcrumRunBackendWeight/);
    const code = rows.map((v) => (v.oid === `${formatOid(M.fulcrumRunServiceAlgorithm)}.1` ? { ...v, value: 42 } : v));
    expect(() => tableFrom(code)).toThrow(/fulcrumRunServiceAlgorithm\.1 = 42 is not a known code/);
  });
});
