/**
 * Following a rollout that a remote agent runs (`fulcrum rollout start | resume --context`):
 * the agent records every rollout event in its event log (kind `rollout`, src/api/rollout-runs.ts),
 * so the follower pages that log by id and hands each of this rollout's events to the display
 * the local run uses — the same lines, the same JSON. Invariant: every event of the rollout
 * recorded after `after` is shown once, in the agent's order, and the follow ends only when the
 * rollout is over for now — not running, or its run gone — and no process holds it any more:
 * a run records its last event before it lets go of the rollout, so nothing is left unshown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ROLLOUT_EVENT_KIND, type RolloutEvent, type RolloutStatus } from '../upgrade/rollout/index.js';
import { CliError, EXIT } from './exit-codes.js';
import type { ExitsByCode, RemoteApi } from './remote-api.js';
import type { RolloutProgress } from './rollout-display.js';
import { remoteEvents } from './commands/remote-logs.js';

/** How often the agent is asked: often enough that lines come as they happen, rare enough to cost it nothing. */
export const POLL_MS = 500;

export interface FollowOptions {
  /** The agent's last event id before this command changed the rollout: what came after is shown. */
  after: number;
  progress: RolloutProgress;
  /** Exit codes for the API's refusals (remote-rollout.ts). */
  exits: ExitsByCode;
  /**
   * Called once, before the first event of a run ('run', 'wave', …): a resume's own events
   * ('state', 'retry') come first and its bar below them, as when the run is in this process.
   */
  beforeRun?: () => void;
}

/** What comes before a run's events: a resume's change of state and its retried appliances. */
const BEFORE_RUN: ReadonlySet<RolloutEvent['event']> = new Set(['state', 'retry']);

/**
 * Shows rollout `id`'s events until it ends, and returns its status then. Ctrl-C (or SIGTERM)
 * stops following: the rollout goes on on the agent, and the CliError (exit 130) says how to
 * look at it. A failed request ends the follow likewise, with that request's exit code.
 */
export async function followRollout(api: RemoteApi, id: number, options: FollowOptions): Promise<RolloutStatus> {
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const events = remoteEvents(api, { kind: ROLLOUT_EVENT_KIND });
  let cursor = options.after;
  let ran = false;
  let beforeRunDone = options.beforeRun === undefined;
  const show = async () => {
    for (const stored of await events.after(cursor)) {
      cursor = Math.max(cursor, stored.id);
      const event = stored.detail as RolloutEvent;
      if (event.rollout !== id) continue;
      if (event.event === 'run') ran = true;
      if (!beforeRunDone && !BEFORE_RUN.has(event.event)) {
        beforeRunDone = true;
        options.beforeRun?.();
      }
      options.progress.event(event, stored.ts);
    }
  };
  try {
    for (;;) {
      await show();
      const status = await api.get<RolloutStatus>(`/rollouts/${id}`, {}, options.exits);
      if (status.runner !== null) ran = true;
      // `running` with no runner is a rollout between its start and its run — unless its run was seen: then that run stopped (the agent closed).
      if (status.runner === null && (status.state !== 'running' || ran)) {
        await show();
        return status;
      }
      await sleep(POLL_MS, undefined, { signal: interrupt.signal }).catch(() => undefined);
      if (interrupt.signal.aborted) throw stillRunning(api, id, 'interrupted: stopped following', EXIT.interrupted);
    }
  } catch (err) {
    if (err instanceof CliError && err.exitCode !== EXIT.interrupted) throw stillRunning(api, id, err.message, err.exitCode);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    options.progress.stop();
  }
}

/** The follow ended before the rollout did: it goes on on the agent, and this is how to see it. */
function stillRunning(api: RemoteApi, id: number, why: string, exitCode: number): CliError {
  const ctx = `--context ${api.context}`;
  return new CliError(
    `${why}; rollout ${id} goes on on ${api.where}: \`fulcrum rollout status ${id} ${ctx}\` shows where it stands (\`fulcrum rollout pause ${id} ${ctx}\` stops it)`,
    exitCode,
  );
}
