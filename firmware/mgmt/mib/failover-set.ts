/**
 * SETs of fulcrumFailover: the operator's "go standby / go offline / go online" through
 * fulcrumFoAction (like `tmsh run sys failover standby`). The request is checked whole first
 * (RFC 3416 4.2.5: names, types, values), then against the member's state, then applied; a
 * refused request changes nothing and says why (fulcrumFoActionMessage).
 *
 * Invariants: fulcrumFoAction.0 is the only writable object; one request asks for one action at
 * most; an action that is not possible now (no group, nothing would change, or standing down
 * with no live peer able to take over) is inconsistentValue with a reason naming the object.
 */

import { FailoverScalar, FoActionCode, fulcrumFailover, type FailoverAction } from '../../../src/protocol/mib/fulcrum-mib.js';
import { startsWith } from '../../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../../src/protocol/mib/smi.js';
import { refusalOf } from '../../failover/action-refusal.js';
import type { FailoverMember, GroupStatus } from '../../failover/member.js';

export interface FailoverSetVarbind {
  oid: readonly number[];
  type: number;
  value: unknown;
}

export type FailoverSetPlan =
  | { ok: true; action: FailoverAction | null }
  /** `message` is for fulcrumFoActionMessage ('' for a malformed request, which reaches no action). */
  | { ok: false; errorStatus: number; errorIndex: number; message: string };

const ACTION_BY_CODE = new Map<number, FailoverAction | null>([
  [FoActionCode.idle, null],
  [FoActionCode.goStandby, 'standby'],
  [FoActionCode.goOffline, 'offline'],
  [FoActionCode.goOnline, 'online'],
]);

/** Checks a fulcrumFailover request against the member's status (null: a lone appliance). */
export function planFailoverSet(varbinds: readonly FailoverSetVarbind[], status: GroupStatus | null): FailoverSetPlan {
  const fail = (errorStatus: number, i: number, message = ''): FailoverSetPlan => ({ ok: false, errorStatus, errorIndex: i + 1, message });
  let action: FailoverAction | null = null;
  let actionIndex = -1;
  for (const [i, v] of varbinds.entries()) {
    const isAction = startsWith(v.oid, fulcrumFailover) && v.oid.length === fulcrumFailover.length + 2 && v.oid.at(-2) === FailoverScalar.action;
    if (!isAction) return fail(ErrorStatus.notWritable, i);
    if (v.oid.at(-1) !== 0) return fail(ErrorStatus.noCreation, i);
    if (v.type !== SmiType.Integer) return fail(ErrorStatus.wrongType, i);
    const wanted = typeof v.value === 'number' ? ACTION_BY_CODE.get(v.value) : undefined;
    if (wanted === undefined) return fail(ErrorStatus.wrongValue, i);
    if (wanted === null) continue;
    if (action !== null) return fail(ErrorStatus.inconsistentValue, i, 'fulcrumFoAction: one action a request');
    action = wanted;
    actionIndex = i;
  }
  if (action === null) return { ok: true, action: null };
  // The rule is the member's (firmware/failover/action-refusal.ts), shared with the console.
  const refusal = refusalOf(action, status);
  return refusal ? fail(ErrorStatus.inconsistentValue, actionIndex, `fulcrumFoAction go ${action}: ${refusal.reason}`) : { ok: true, action };
}

/** Applies a checked action through the member (the transition and its event are the member's). */
export function applyFailoverAction(member: Pick<FailoverMember, 'goStandby' | 'goOffline' | 'goOnline'>, action: FailoverAction): void {
  switch (action) {
    case 'standby':
      return member.goStandby();
    case 'offline':
      return member.goOffline();
    case 'online':
      return member.goOnline();
  }
}
