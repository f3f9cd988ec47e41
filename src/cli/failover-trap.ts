/**
 * FULCRUM-MIB's fulcrumFailoverStateChange as the trap receiver files it: one `failover` event
 * of the appliance that sent it (group, unit, the state it is in now as `to`, the reason and the
 * sentence), in the shape of the poller's `failover` events (src/store/appliance-state.ts) plus
 * what only the notification knows.
 *
 * Invariant: a notification missing a varbind or carrying an unknown code is not a failover
 * event (null): the receiver files it as a plain `trap`, nothing is invented.
 */
import { FulcrumMib as M, formatOid } from '../protocol/mib/index.js';

export interface FailoverTrapEvent {
  group: string;
  unit: number;
  /** The state the member is in now (the poller's `failover` events name it `to` too). */
  to: 'active' | 'standby' | 'offline';
  reason: string;
  detail: string;
}

const TRAP = formatOid(M.fulcrumFailoverStateChange);
const at = (o: readonly number[]) => `${formatOid(o)}.0`;
const STATES = new Map<string, FailoverTrapEvent['to']>([
  [String(M.FoStateCode.active), 'active'],
  [String(M.FoStateCode.standby), 'standby'],
  [String(M.FoStateCode.offline), 'offline'],
]);
const REASONS = new Map<string, string>(Object.entries(M.FoReasonCode).map(([name, code]) => [String(code), name]));

/** `trap` is snmpTrapOID.0's value; `varbinds` as the receiver decoded them (values as text). */
export function failoverTrapEvent(trap: string, varbinds: readonly { oid: string; value: string }[]): FailoverTrapEvent | null {
  if (trap !== TRAP) return null;
  const value = (o: readonly number[]) => varbinds.find((vb) => vb.oid === at(o))?.value;
  const group = value(M.fulcrumFoGroupName);
  const unit = Number(value(M.fulcrumFoUnit));
  const state = STATES.get(value(M.fulcrumFoState) ?? '');
  const reason = REASONS.get(value(M.fulcrumFoLastReason) ?? '');
  if (group === undefined || !Number.isInteger(unit) || unit < 1 || !state || !reason || reason === 'none') return null;
  return { group, unit, to: state, reason, detail: value(M.fulcrumFoLastDetail) ?? '' };
}
