/**
 * A failover member that restarts in the middle of a commit confirmed takes that commit up
 * again for a short rejoin window, so its group settles it instead of the reboot splitting it
 * (docs/design.md, "Failover groups"). A lone appliance keeps Junos' rule: a reboot while
 * pending runs the startup config.
 *
 * Why it is safe: the member comes back running the commit *pending*, so config agreement
 * (config-agreement.ts) applies unchanged — a peer that runs that config confirmed makes it
 * confirm, and nothing else can; otherwise the window runs out and it reverts to its startup
 * config exactly as at a confirm timeout. Either way it ends on an id its group runs or ran.
 *
 * Invariants: the window is a pure function of the group's timing, at least REJOIN_FLOOR_MS;
 * a commit is taken up at most once (the journal's mark is spent before it runs, see
 * ConfigManager.resumeInterrupted), so a power cut inside the window, or a config that brings the
 * box down, boots the startup config next time.
 */
import type { GroupConfig } from './group-config.js';
import { masterDownMs } from './group-config.js';

/**
 * Master-down intervals the window lasts. The peer states "confirmed" on its first heartbeat
 * after hearing this member say "pending" (config-agreement.ts), so an agreement takes about two
 * intervals; four master-down intervals (~16 heartbeats) leave room for a heartbeat or two lost
 * on UDP and for a peer slow to notice the new epoch. The window must end well before the
 * agent's confirm timeout T for the group's invariant (one id after T + 1 s) to hold: at the
 * default 150 ms heartbeat the floor applies (3 s, against T ≥ 10 s); above ~190 ms it grows with
 * the interval (16 s at 1 s), and a push to such a group needs a T longer than that.
 */
export const REJOIN_MASTER_DOWNS = 4;
/**
 * The shortest window: at fast heartbeats four master-down intervals are well under a second,
 * shorter than a loaded host's scheduling hiccup (a GC pause, a busy core) while the member's
 * links and the peer's election catch up with its restart.
 */
export const REJOIN_FLOOR_MS = 3_000;

/**
 * How long a restarted member keeps an interrupted commit pending. Counted at the lowest
 * priority's master-down interval (the longest skew), so it does not depend on which member
 * restarted.
 */
export function rejoinWindowMs(config: Pick<GroupConfig, 'intervalMs'>): number {
  return Math.max(REJOIN_FLOOR_MS, Math.ceil(REJOIN_MASTER_DOWNS * masterDownMs(1, config.intervalMs)));
}

/** What the boot's `commit` event says of a commit taken up again. */
export function rejoinDetail(group: string, windowMs: number): string {
  return `restarted during a commit confirmed: pending again for ${Math.round(windowMs / 100) / 10} s so failover group ${group} can settle it (a peer running it confirmed makes it confirm; otherwise it reverts to the startup config)`;
}
