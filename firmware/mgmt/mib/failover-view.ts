/**
 * fulcrumFailover (FULCRUM-MIB, fulcrumObjects 8): the appliance's failover group membership as
 * varbinds in walk order for the MIB view — the scalars, then the peer table by unit.
 *
 * Invariant: a lone appliance serves the same scalars (state none, unit 0, name "") and an empty
 * peer table, so a manager tells "in no group" from "no such object" (an older appliance); times
 * are TimeStamps (the sysUpTime of the event, 0 when it was before the agent started).
 */

import {
  FailoverScalar,
  FoActionCode,
  FoPeerColumn,
  FoReasonCode,
  FoStateCode,
  MAX_FO_TEXT,
  fulcrumFailover,
  fulcrumFoPeerEntry,
} from '../../../src/protocol/mib/fulcrum-mib.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';
import { SmiType, TruthValue, type Varbind } from '../../../src/protocol/mib/smi.js';
import type { GroupStatus } from '../../failover/member.js';

export interface FailoverViewInput {
  /** The member's status, or null for a lone appliance. */
  status: GroupStatus | null;
  /** The member's clock now (the clock its transition and heartbeat times are on). */
  nowMs: number;
  /** Why the operator's last action was refused; '' when it was not. */
  actionMessage: string;
}

/** The objects the view serves (scalars without .0, columns without an index), in walk order. */
export const FAILOVER_OBJECTS: readonly Oid[] = [
  ...Object.values(FailoverScalar).map((n) => [...fulcrumFailover, n]),
  ...Object.values(FoPeerColumn)
    .filter((c) => c !== FoPeerColumn.unit)
    .map((c) => [...fulcrumFoPeerEntry, c]),
];

const U64 = (1n << 64n) - 1n;

/** `uptimeTicks` is the snapshot's sysUpTime: the TimeStamps are counted back from it. */
export function failoverVarbinds(input: FailoverViewInput, uptimeTicks: number): Varbind[] {
  const { status } = input;
  const stamp = (at: number): number => Math.min(uptimeTicks, Math.max(0, uptimeTicks - Math.round((input.nowMs - at) / 10)));
  const at = (n: number): Oid => [...fulcrumFailover, n, 0];
  const out: Varbind[] = [
    { oid: at(FailoverScalar.groupName), type: SmiType.OctetString, value: status?.name ?? '' },
    { oid: at(FailoverScalar.unit), type: SmiType.Gauge32, value: status?.unit ?? 0 },
    { oid: at(FailoverScalar.state), type: SmiType.Integer, value: status ? FoStateCode[status.state] : FoStateCode.none },
    { oid: at(FailoverScalar.priority), type: SmiType.Gauge32, value: status?.priority ?? 0 },
    { oid: at(FailoverScalar.lastChange), type: SmiType.TimeTicks, value: status ? stamp(status.last.at) : 0 },
    { oid: at(FailoverScalar.lastReason), type: SmiType.Integer, value: status ? FoReasonCode[status.last.reason] : FoReasonCode.none },
    { oid: at(FailoverScalar.lastDetail), type: SmiType.OctetString, value: (status?.last.detail ?? '').slice(0, MAX_FO_TEXT) },
    { oid: at(FailoverScalar.failovers), type: SmiType.Counter64, value: BigInt(Math.max(0, status?.counters.takeovers ?? 0)) & U64 },
    { oid: at(FailoverScalar.action), type: SmiType.Integer, value: FoActionCode.idle },
    { oid: at(FailoverScalar.actionMessage), type: SmiType.OctetString, value: input.actionMessage.slice(0, MAX_FO_TEXT) },
  ];
  const peers = [...(status?.peers ?? [])].sort((a, b) => a.unit - b.unit);
  // A table walks column by column, rows in index (unit) order within each column.
  for (const column of Object.values(FoPeerColumn)) {
    for (const p of peers) {
      const o: Oid = [...fulcrumFoPeerEntry, column, p.unit];
      switch (column) {
        case FoPeerColumn.unit:
          // The index: not-accessible, carried in the instance OID only.
          break;
        case FoPeerColumn.state:
          out.push({ oid: o, type: SmiType.Integer, value: FoStateCode[p.state] });
          break;
        case FoPeerColumn.priority:
          out.push({ oid: o, type: SmiType.Gauge32, value: p.priority });
          break;
        case FoPeerColumn.canServe:
          out.push({ oid: o, type: SmiType.Integer, value: p.canServe ? TruthValue.true : TruthValue.false });
          break;
        case FoPeerColumn.sameConfig:
          out.push({ oid: o, type: SmiType.Integer, value: p.sameConfig ? TruthValue.true : TruthValue.false });
          break;
        case FoPeerColumn.lastHeard:
          out.push({ oid: o, type: SmiType.TimeTicks, value: stamp(p.lastHeardAt) });
          break;
      }
    }
  }
  return out;
}
