/**
 * The driver's SNMP push against a scripted agent that refuses one varbind: the error names the
 * column and its value, and an agent that does not know the settings columns (older firmware)
 * is told apart from one that takes no configuration writes at all.
 */

import { describe, expect, it } from 'vitest';
import { ConfigWriter, rowVarbinds } from '../../../../drivers/snmp/config-writer.js';
import { SetError, type SnmpSession, type Varbind } from '../../../../drivers/snmp/session.js';
import { FulcrumMib as M, ErrorStatus, SmiType, formatOid } from '../../../../src/protocol/mib/index.js';
import { encodeRules } from '../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../src/rules/index.js';

const table = loadRules(
  `services:
  - name: web
    listen: 127.0.0.1:8080
    health: { type: http, interval: 2s, timeout: 1s, path: /ready }
    backends: [{ address: 192.0.2.1:80 }]
`,
  'w.yaml',
);

/** An agent that answers GETs with zeros and refuses the first SET carrying `oid` with `status`. */
function refusing(oid: string, status: number): SnmpSession {
  return {
    async get(oids: string[]) {
      return oids.map((o) => ({ oid: o, type: SmiType.Integer, value: o.startsWith(formatOid(M.fulcrumCandidateSpinLock)) ? 0 : new Uint8Array(0) }));
    },
    async set(varbinds: readonly Varbind[]) {
      // As net-snmp words a refused request: the status, then the OID it names.
      if (varbinds.some((v) => v.oid === oid))
        throw new SetError(
          status,
          varbinds.findIndex((v) => v.oid === oid),
          `Refused: ${oid}`,
        );
    },
  } as unknown as SnmpSession;
}

describe('SNMP push refusals', () => {
  const row = rowVarbinds(table)[0]!;
  const path = formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.healthPath, 1));
  const hashKey = formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.hashKey, 1));

  it('writes every settings column of the service row', () => {
    const columns = row.map((v) => Number(v.oid.split('.').at(-2)));
    expect(columns.sort((a, b) => a - b)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
  });

  it('names the column and value the appliance refused', async () => {
    const push = new ConfigWriter(refusing(path, ErrorStatus.wrongValue)).push(encodeRules(table), { confirmTimeoutMs: 0 });
    await expect(push).rejects.toMatchObject({
      code: 'refused',
      remote: 'wrongValue',
      message: 'creating candidate rows: the appliance refused fulcrumCandServiceHealthPath.1 = "/ready" (wrongValue)',
    });
  });

  it('an agent without the settings columns says so, naming the first one it refused', async () => {
    const push = new ConfigWriter(refusing(hashKey, ErrorStatus.notWritable)).push(encodeRules(table), { confirmTimeoutMs: 0 });
    await expect(push).rejects.toMatchObject({
      remote: 'unsupported',
      message: expect.stringMatching(/does not take fulcrumCandServiceHashKey\.1 = 1 .*predate/),
    });
  });
});
