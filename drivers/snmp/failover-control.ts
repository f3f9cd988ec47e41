/**
 * The appliance's failover group over SNMP (FULCRUM-MIB fulcrumFailover): the membership
 * `appliance info` shows (group name, unit, state), and the operator's action (go standby,
 * offline, online) written to fulcrumFoAction.
 *
 * Invariant: an appliance in no group (state none) or without the objects (an older agent:
 * noSuchObject) has no group; a refused action is a DriverError carrying the appliance's reason
 * (fulcrumFoActionMessage), and nothing changed on the appliance.
 */

import { FulcrumMib as M, formatOid } from '../../src/protocol/mib/index.js';
import { ErrorStatus, SmiType } from '../../src/protocol/mib/smi.js';
import { DriverError, type ApplianceInfo, type GroupAction } from '../driver.js';
import { SetError, type SnmpSession, type Varbind } from './session.js';

type Group = NonNullable<ApplianceInfo['group']>;

const scalar = (x: readonly number[]) => `${formatOid(x)}.0`;

/** The instances `groupOf` reads, to ask for in the same GET as the rest of `info`. */
export const GROUP_OIDS = [M.fulcrumFoGroupName, M.fulcrumFoUnit, M.fulcrumFoState].map(scalar);

const STATE_BY_CODE = new Map<number, Group['state']>([
  [M.FoStateCode.active, 'active'],
  [M.FoStateCode.standby, 'standby'],
  [M.FoStateCode.offline, 'offline'],
]);

/** The group from the answers to GROUP_OIDS (in that order), or undefined for a lone appliance. */
export function groupOf([name, unit, state]: readonly (Varbind | undefined)[]): Group | undefined {
  const s = typeof state?.value === 'number' ? STATE_BY_CODE.get(state.value) : undefined;
  if (!s || typeof unit?.value !== 'number') return undefined;
  const v = name?.value;
  const text = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'string' ? v : '';
  return { name: text, unit: unit.value, state: s };
}

export async function readGroup(session: SnmpSession): Promise<Group | undefined> {
  return groupOf(await session.get(GROUP_OIDS));
}

/** Writes fulcrumFoAction; resolves with the group as it stands right after (the member moves at once). */
export async function writeFailoverAction(session: SnmpSession, action: GroupAction): Promise<Group> {
  if (!Object.hasOwn(M.FO_ACTION_OF, action)) throw new DriverError('badTarget', `failover action: "${String(action)}" is not standby, offline or online`);
  try {
    await session.set([{ oid: scalar(M.fulcrumFoAction), type: SmiType.Integer, value: M.FO_ACTION_OF[action] }]);
  } catch (err) {
    if (!(err instanceof SetError)) throw err;
    const [message, state] = await session.get([scalar(M.fulcrumFoActionMessage), scalar(M.fulcrumFoState)]).catch(() => [undefined, undefined]);
    const v = message?.value;
    const reason =
      (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : '') ||
      Object.entries(ErrorStatus).find(([, code]) => code === err.status)?.[0] ||
      `status ${err.status}`;
    // The console's codes: notInGroup for a lone appliance, else the state does not allow it.
    const remote = state?.value === M.FoStateCode.none ? 'notInGroup' : err.status === ErrorStatus.inconsistentValue ? 'failoverState' : 'commitFailed';
    throw new DriverError('refused', `go ${action}: ${reason}`, remote);
  }
  const group = await readGroup(session);
  if (!group) throw new DriverError('refused', `go ${action}: the appliance took the action but reports no failover group`);
  return group;
}
