/**
 * Whether an operator's word to a group member ("go standby / go offline / go online") is
 * possible now. One rule for every management channel: the serial console's groupAction and
 * SNMP's fulcrumFoAction both ask here before the member moves, so neither can do what the other
 * refuses.
 *
 * Invariants: an appliance in no group refuses every action (`notInGroup`); an active member
 * refuses to go standby unless a peer that is standby, can serve, and is heard on at least one
 * link would take over (otherwise the group would be left with no active member); an action
 * that would change nothing is refused (`failoverState`). Pure: it reads a status, never a clock.
 */
import type { GroupAction } from '../../src/protocol/serial/messages.js';
import type { GroupStatus } from './member.js';

export interface ActionRefusal {
  /** The wire's name for it: `notInGroup` for a lone appliance, `failoverState` when the member's state does not allow it. */
  code: 'notInGroup' | 'failoverState';
  /** For the operator, without the action's name (each channel prefixes its own). */
  reason: string;
}

/** Why `action` is not possible now on a member with `status` (null: a lone appliance), or null when it is. */
export function refusalOf(action: GroupAction, status: GroupStatus | null): ActionRefusal | null {
  if (!status) return { code: 'notInGroup', reason: 'this appliance is not a member of a failover group' };
  const refused = (reason: string): ActionRefusal => ({ code: 'failoverState', reason });
  const { state, holding } = status;
  switch (action) {
    case 'standby': {
      if (state === 'standby' && holding) return refused('already standby and holding back');
      if (state !== 'active') return null;
      // Either link carrying the peer's heartbeats is enough: the cable alone is a live path.
      const taker = status.peers.find((p) => p.state === 'standby' && p.canServe && Object.values(p.links).includes('up'));
      return taker ? null : refused('no live standby peer that can serve would take over: the group would be left without an active member');
    }
    case 'offline':
      return state === 'offline' ? refused('already offline') : null;
    case 'online':
      return state !== 'offline' && !holding ? refused(`already online (${state})`) : null;
  }
}
