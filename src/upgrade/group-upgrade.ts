/**
 * A rollout's upgrade of one failover-group member, by the documented procedure: a member that
 * is its group's active fails the group over first (src/provision/groups/group-failover.ts), so
 * it is upgraded as a standby; after its upgrade it must come back into the group (standby or
 * active, answering) before it counts as a success. The wave plan (rollout/group-waves.ts) puts
 * the standby first, so the member failed over to already runs the new image and passed this
 * check. Invariant: an active member is never rebooted while it is the one serving — when the
 * failover does not happen, the member is not upgraded and fails, which halts the rollout with
 * the group serving on it, on the old image.
 */
import { readInfo, sleep, type GroupAccess } from '../provision/groups/access.js';
import { failoverGroup } from '../provision/groups/group-failover.js';
import type { ApplianceStateStore } from '../store/appliance-state.js';
import type { Membership, UpgradeOne } from './rollout/index.js';

export const DEFAULT_REJOIN_MS = 30_000;

export interface GroupUpgradeOptions {
  /** The group an appliance last reported (the store), else null. */
  membershipOf: (appliance: string) => Promise<Membership | null>;
  /** The appliances that reported `group`. */
  membersOf: (group: string) => Promise<string[]>;
  access: GroupAccess;
  /** How long an upgraded member may take to come back into its group (default 30 s). */
  rejoinMs?: number;
  /** How long the new active is waited for on a failover (default group-failover.ts's). */
  failoverWaitMs?: number;
}

/** The groups as the store's appliance state last saw them: what the wave plan and the upgrade go by. */
export function storedGroups(states: Pick<ApplianceStateStore, 'get' | 'members'>): Pick<GroupUpgradeOptions, 'membershipOf' | 'membersOf'> {
  return {
    membershipOf: async (appliance) => {
      const g = (await states.get(appliance))?.group ?? null;
      return g === null ? null : { group: g.name, state: g.state };
    },
    membersOf: async (group) => (await states.members(group)).map((s) => s.name),
  };
}

/** `upgrade`, made group-aware (see the module comment); a lone appliance is upgraded as before. */
export function groupAwareUpgrade(upgrade: UpgradeOne, options: GroupUpgradeOptions): UpgradeOne {
  const rejoinMs = options.rejoinMs ?? DEFAULT_REJOIN_MS;
  return async (appliance, image, signal, fence) => {
    const m = await options.membershipOf(appliance);
    if (m === null) return upgrade(appliance, image, signal, fence);
    const now = await readInfo(options.access, appliance);
    if (now.group?.state === 'active') {
      await fence();
      try {
        const moved = await failoverGroup(m.group, await options.membersOf(m.group), options.access, {
          ...(options.failoverWaitMs !== undefined ? { waitMs: options.failoverWaitMs } : {}),
        });
        signal.throwIfAborted();
        if (moved.to === appliance) throw new Error(`${appliance} is still active`);
      } catch (err) {
        throw new Error(
          `${appliance} is the active member of group ${m.group} and the group did not fail over (${(err as Error).message}): not upgraded, the group still serves on it`,
          {
            cause: err,
          },
        );
      }
    }
    const result = await upgrade(appliance, image, signal, fence);
    const deadline = Date.now() + rejoinMs;
    let last = 'no answer';
    for (;;) {
      signal.throwIfAborted();
      const info = await readInfo(options.access, appliance).catch((err: unknown) => err as Error);
      if (!(info instanceof Error) && info.group?.name === m.group && (info.group.state === 'standby' || info.group.state === 'active')) return result;
      last = info instanceof Error ? `no answer (${info.message})` : info.group ? `${info.group.state} in group ${info.group.name}` : 'in no group';
      if (Date.now() >= deadline)
        throw new Error(`${appliance} runs ${result.version} but did not come back into group ${m.group} within ${rejoinMs / 1000} s (last seen: ${last})`);
      await sleep(200);
    }
  };
}
