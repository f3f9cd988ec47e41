/**
 * Any valid table survives SNMP both ways: the driver's rows (rowVarbinds) applied to an empty
 * candidate by the firmware's planSet build the same config id, and the firmware's fulcrumRunning
 * varbinds read back by the driver (tableFrom) give the same table.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowVarbinds } from '../../../../../drivers/snmp/config-writer.js';
import { tableFrom } from '../../../../../drivers/snmp/running-reader.js';
import { buildCandidate, emptyCandidate, planSet, type SetVarbind } from '../../../../../firmware/mgmt/mib/candidate.js';
import { runningVarbinds } from '../../../../../firmware/mgmt/mib/running-view.js';
import { parseOid, formatOid } from '../../../../../src/protocol/mib/oid.js';
import { SmiType } from '../../../../../src/protocol/mib/smi.js';
import { configId, type RuleTable } from '../../../../../src/protocol/rules/index.js';
import { ruleTable } from '../../../protocol/rules/arbitraries.js';

/** The candidate of `table` as one SET request of the driver's rows would leave it, built. */
function pushedThroughCandidate(table: RuleTable, base: RuleTable) {
  const varbinds: SetVarbind[] = rowVarbinds(table)
    .flat()
    .map((v) => ({ oid: parseOid(v.oid), type: v.type, value: v.value }));
  const plan = planSet(emptyCandidate(base), varbinds, { running: base, pendingConfirm: false, historyLength: 0 });
  if (!plan.ok) throw new Error(`refused varbind ${plan.errorIndex}: ${plan.message}`);
  return buildCandidate(plan.state);
}

describe('rule tables over the SNMP candidate and fulcrumRunning', () => {
  it('rowVarbinds(table) applied to an empty candidate builds the same config id, whatever the base runs', () => {
    fc.assert(
      fc.property(ruleTable, ruleTable, (table, base) => {
        expect(pushedThroughCandidate(table, base)).toEqual({ ok: true, table, id: configId(table) });
      }),
      { numRuns: 150 },
    );
  });

  it('the driver reads back from fulcrumRunning exactly the table the firmware serves', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        const wire = runningVarbinds(table).map((v) => ({
          oid: formatOid(v.oid),
          type: v.type,
          // As the session hands them over: octet strings as bytes.
          value: v.type === SmiType.OctetString ? new TextEncoder().encode(v.value as string) : (v.value as number),
        }));
        const back = tableFrom(wire);
        expect(back).toEqual(table);
        expect(configId(back)).toBe(configId(table));
      }),
      { numRuns: 150 },
    );
  });
});
