/**
 * Failover groups as the agent knows them: learned from what the appliances report (their
 * identity's `group`), as the poller last stored it (src/store/appliance-state.ts), never from
 * the agent's own configuration. Pure. Invariant: a member is listed under the group it last
 * reported, and a group's `active` is the one member that last reported itself active — null
 * when none did, or when more than one did (`actives` then names them: a split brain seen from
 * outside, or polls taken across a failover).
 */
import type { GroupState, StoredApplianceState } from '../../store/appliance-state.js';

export interface GroupMemberView {
  appliance: string;
  unit: number;
  state: GroupState;
  /** Whether its last poll succeeded; the state is then the one it reported at its last answer. */
  reachable: boolean;
  lastPoll: number | null;
  configId: string | null;
  firmware: string | null;
}

export interface GroupView {
  name: string;
  members: GroupMemberView[];
  /** The member that reports itself active, when exactly one does. */
  active: string | null;
  /** Every member that reported itself active (more than one: they disagree). */
  actives: string[];
  /** Whether every member reported the same config id. */
  sameConfig: boolean;
}

/** The groups of `states` (every appliance's last known state), by name; members by unit. */
export function groupsOf(states: Iterable<StoredApplianceState>): GroupView[] {
  const byName = new Map<string, GroupMemberView[]>();
  for (const s of states) {
    if (s.group === null) continue;
    const members = byName.get(s.group.name) ?? [];
    members.push({
      appliance: s.name,
      unit: s.group.unit,
      state: s.group.state,
      reachable: s.reachable,
      lastPoll: s.lastPoll,
      configId: s.configId,
      firmware: s.firmware,
    });
    byName.set(s.group.name, members);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, members]) =>
      view(
        name,
        members.sort((a, b) => a.unit - b.unit || (a.appliance < b.appliance ? -1 : 1)),
      ),
    );
}

function view(name: string, members: GroupMemberView[]): GroupView {
  const actives = members.filter((m) => m.state === 'active').map((m) => m.appliance);
  return { name, members, active: actives.length === 1 ? actives[0]! : null, actives, sameConfig: new Set(members.map((m) => m.configId)).size === 1 };
}

/** The group named `name`, or null when no appliance reported it. */
export function groupNamed(states: Iterable<StoredApplianceState>, name: string): GroupView | null {
  return groupsOf(states).find((g) => g.name === name) ?? null;
}
