/**
 * One config per failover group: `rules push FILE --to group:NAME` as a two-phase push by the
 * agent. Phase 0 reads every member and judges the push on each (push-preflight.ts) before
 * anything is sent; phase 1 pushes to every member with commit confirmed, standby first and the
 * active last (the member serving traffic changes only once its peers took the table); phase 2
 * confirms them all, and only once every member reports the new config id. A failure in any
 * phase rolls back the members already changed.
 *
 * Invariant (docs/design.md, "Failover groups"): after the confirm timeout + 1 s every live
 * member runs the same config id. Nothing is confirmed before every member runs the new id; if
 * the agent dies before confirming, every pushed member reverts by itself at its timeout to the
 * id the group ran before (phase 0 refuses a group that does not run one id, or has a commit
 * pending); if a confirm fails on a member that answers but does not run the new id confirmed,
 * the members confirmed already are rolled back. Once one member is confirmed the others confirm
 * themselves on hearing it (firmware/failover/config-agreement.ts), so a confirm may find its
 * member confirmed already: that member counts as confirmed. A confirm that fails on a member
 * that then does not answer at all confirms the others anyway: whether it was confirmed, is
 * pending and up, or went down pending (it then takes the commit up again when it restarts,
 * firmware/failover/rejoin.ts), it ends on the new id once its peers run it confirmed, whereas
 * rolling them back would split the group from a member that had been confirmed.
 */
import { configId } from '../../protocol/rules/index.js';
import type { RuleTable } from '../../protocol/rules/model.js';
import type { ConfigCache } from '../../store/config-cache.js';
import { destructiveMessage, GENERIC_OVERRIDES, pendingMessage, type OverrideNames } from '../push-guards.js';
import { preflightPush, pushChecked, PushRefused, type PushPreflight } from '../push-preflight.js';
import { ProvisionError } from '../push.js';
import { readAll, readInfo, type GroupAccess } from './access.js';
import { GroupError } from './errors.js';

export interface GroupPushRequest {
  group: string;
  /** The group's members, inventory names. */
  members: readonly string[];
  rules: RuleTable;
  /** > 0: every member's commit is confirmed, and reverts by itself within this time unless the agent confirms it. */
  confirmTimeoutMs: number;
  cache: ConfigCache;
  allowDestructive?: boolean | undefined;
  dryRun?: boolean | undefined;
  names?: OverrideNames | undefined;
}

export type MemberOutcome = 'unchanged' | 'confirmed' | 'rolledBack' | 'pending' | 'planned' | 'untouched';

export interface GroupPushMember {
  appliance: string;
  /** Its group state when the push began. */
  state: string | null;
  before: string;
  /** What it was last seen running; null when it stopped answering. */
  after: string | null;
  /** unchanged: it ran the table already; pending: pushed, neither confirmed nor rolled back (it reverts by itself at its timeout). */
  outcome: MemberOutcome;
}

export interface GroupPushReport {
  group: string;
  configId: string;
  ok: boolean;
  dryRun: boolean;
  /** In the order they were pushed: standby first, the active last. */
  members: GroupPushMember[];
  failure: { appliance: string; reason: string } | null;
}

const ORDER: Record<string, number> = { standby: 0, offline: 1, active: 2 };

/** The two-phase group push (see the module comment). Throws GroupError, PushRefused or ProvisionError before sending anything. */
export async function pushToGroup(request: GroupPushRequest, access: GroupAccess): Promise<GroupPushReport> {
  if (!(request.confirmTimeoutMs > 0)) throw new ProvisionError('invalid', 'a group push is always commit confirmed: give a confirm timeout');
  const wanted = configId(request.rules);
  const names = request.names ?? GENERIC_OVERRIDES;
  const infos = await readAll(access, request.members);
  const lost = request.members.filter((_, i) => infos[i] instanceof Error);
  if (lost.length > 0) {
    const why = lost.map((m) => `${m}: ${(infos[request.members.indexOf(m)] as Error).message}`).join('; ');
    throw new GroupError('state', `group ${request.group}: every member must answer before a group push (${why}); nothing was sent`);
  }
  const order = request.members
    .map((appliance, i) => ({ appliance, info: infos[i] as Exclude<(typeof infos)[number], Error> }))
    .sort((a, b) => (ORDER[a.info.group?.state ?? 'offline'] ?? 1) - (ORDER[b.info.group?.state ?? 'offline'] ?? 1));
  const running = new Set(order.map((m) => m.info.configId));
  if (running.size > 1) {
    // Members on different ids have no common id to revert to: the invariant could not hold.
    const ids = order.map((m) => `${m.appliance} ${m.info.configId.slice(0, 12)}`).join(', ');
    throw new GroupError(
      'state',
      `group ${request.group}: the members do not run one config id (${ids}); push to each first (--to NAME), then to the group; nothing was sent`,
    );
  }
  // Phase 0: every member judged before any is sent a byte.
  const preflights = new Map<string, PushPreflight>();
  for (const m of order) {
    const p = await access.use(m.appliance, (d) => preflightPush(d, request.rules, request.cache));
    if (p.pending !== null) throw new PushRefused('pendingCommit', `${m.appliance}: ${pendingMessage(p.pending, names)}`, p);
    if (!p.upToDate && p.destructive !== null && request.allowDestructive !== true)
      throw new PushRefused('destructivePlan', `${m.appliance}: ${destructiveMessage(p.destructive, names)}`, p);
    preflights.set(m.appliance, p);
  }
  const members: GroupPushMember[] = order.map((m) => ({
    appliance: m.appliance,
    state: m.info.group?.state ?? null,
    before: m.info.configId,
    after: m.info.configId,
    outcome: preflights.get(m.appliance)!.upToDate ? 'unchanged' : request.dryRun === true ? 'planned' : 'untouched',
  }));
  const report = (failure: GroupPushReport['failure']): GroupPushReport => ({
    group: request.group,
    configId: wanted,
    ok: failure === null,
    dryRun: request.dryRun === true,
    members,
    failure,
  });
  if (request.dryRun === true) return report(null);
  const changed = members.filter((m) => m.outcome === 'untouched');

  // Phase 1: commit confirmed on each, standby first.
  for (const m of changed) {
    try {
      await access.use(m.appliance, (d) =>
        pushChecked(d, {
          rules: request.rules,
          cache: request.cache,
          confirmTimeoutMs: request.confirmTimeoutMs,
          expectRunning: m.before,
          allowDestructive: true,
          names,
        }),
      );
      m.outcome = 'pending';
      m.after = wanted;
    } catch (err) {
      // It may have committed before its answer was lost: it is rolled back (or reverts) with the others.
      m.outcome = 'pending';
      m.after = null;
      return report(await undo(access, members, wanted, m.appliance, `push: ${text(err)}`));
    }
  }
  // Phase 2: confirm only once every member runs the new id.
  const now = await readAll(
    access,
    members.map((m) => m.appliance),
  );
  for (const [i, m] of members.entries()) {
    const seen = now[i]!;
    m.after = seen instanceof Error ? null : seen.configId;
    if (seen instanceof Error || seen.configId !== wanted) {
      const why = seen instanceof Error ? `it stopped answering (${seen.message})` : `it runs ${seen.configId}, not ${wanted}`;
      return report(await undo(access, members, wanted, m.appliance, why));
    }
  }
  let unreachable: GroupPushReport['failure'] = null;
  for (const m of changed) {
    try {
      await access.use(m.appliance, (d) => d.confirm());
      m.outcome = 'confirmed';
    } catch (err) {
      // Its peer's heartbeat (or a confirm whose answer was lost) may have got there first.
      const seen = await confirmState(access, m.appliance, wanted);
      if (seen === 'confirmed') m.outcome = 'confirmed';
      else if (seen === 'unreachable') {
        // Confirmed, pending and up, or down while pending: it cannot be told apart, and every
        // one of them ends on the new id once its peers run it confirmed (it hears them, or
        // takes the commit up again when it restarts). Rolling the others back could not
        // undo the first. So the others are confirmed anyway, and the push reported failed.
        m.after = null;
        unreachable ??= {
          appliance: m.appliance,
          reason: `confirm: ${text(err)}; it did not answer since, so the other members were confirmed anyway: it confirms on hearing them, now if it is up or when it restarts`,
        };
      } else return report(await undo(access, members, wanted, m.appliance, `confirm: ${text(err)}`));
    }
  }
  return report(unreachable);
}

/** Whether `appliance` answers that it runs `wanted` with nothing pending, answers otherwise, or does not answer. */
async function confirmState(access: GroupAccess, appliance: string, wanted: string): Promise<'confirmed' | 'not' | 'unreachable'> {
  let info;
  try {
    info = await readInfo(access, appliance);
  } catch {
    return 'unreachable';
  }
  return info.configId === wanted && info.pendingConfirm === null ? 'confirmed' : 'not';
}

/**
 * Rolls back every member this push changed (confirmed or pending), the active first so the
 * member serving traffic is back on the group's old table soonest. A member that cannot be
 * rolled back stays `pending`: a pending one reverts by itself at its confirm timeout.
 */
async function undo(
  access: GroupAccess,
  members: GroupPushMember[],
  wanted: string,
  appliance: string,
  reason: string,
): Promise<{ appliance: string; reason: string }> {
  for (const m of [...members].reverse()) {
    if (m.outcome !== 'pending' && m.outcome !== 'confirmed') continue;
    try {
      // Only what this push put there is rolled back: a member running a third table (someone
      // else's change meanwhile) is left as it is, and reported as such.
      const back = await access.use(m.appliance, async (d) => {
        const running = (await d.info()).configId;
        return running === wanted ? d.rollback(1) : { configId: running };
      });
      m.after = back.configId;
      if (back.configId === m.before) m.outcome = 'rolledBack';
    } catch {
      // Left pending: its own confirm timeout brings it back.
    }
  }
  return { appliance, reason };
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
