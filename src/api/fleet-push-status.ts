/**
 * A recorded fleet push as GET /rules/pushes[/ID] shows it: what was asked, its state, who runs
 * it (and whether that runner is still heard from, on the store's clock), who took it over from
 * whom, and each target's progress. The rule table and the counters a target was judged against
 * stay in the store: they are for the run, not for reading.
 */
import type { FleetPushRecord, FleetTargetRecord, FleetTargetState } from '../store/fleet-pushes.js';
import { FLEET_TARGET_STATES } from '../store/fleet-pushes.js';
import { runnerAlive } from '../store/runner-lease.js';

export function fleetPushSummary(push: FleetPushRecord, targets: readonly FleetTargetRecord[], now: number) {
  const counts = Object.fromEntries(FLEET_TARGET_STATES.map((s) => [s, 0])) as Record<FleetTargetState, number>;
  for (const t of targets) counts[t.state]++;
  const { runner, actor, ...rest } = push;
  return {
    ...rest,
    actor: actor?.name ?? null,
    runner: runner === null ? null : { host: runner.host, pid: runner.pid, heartbeat: runner.heartbeat, live: runnerAlive(runner, now) },
    counts,
  };
}

export function fleetPushStatus(push: FleetPushRecord, targets: readonly FleetTargetRecord[], now: number) {
  return {
    ...fleetPushSummary(push, targets, now),
    targets: targets.map((t) => ({
      appliance: t.appliance,
      canary: t.canary,
      state: t.state,
      before: t.before,
      after: t.after,
      error: t.error,
      updated: t.updated,
    })),
  };
}
