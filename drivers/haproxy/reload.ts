/**
 * A reload through the master CLI, and the proof that it took: HAProxy 2.6 answers `reload`
 * with nothing and closes; the master then re-executes itself and forks a new worker. The
 * reload took when `show proc` counts one more reload, no more failures, and a current worker
 * that was not there before; it failed when the master counts a failure and keeps the old
 * worker (which runs on, with the old configuration).
 *
 * Invariants: `reloadAndWait` resolves with the new worker's pid only once that worker answers;
 * otherwise it throws DriverError('refused', 'applyFailed') saying what the master reports —
 * ReloadUnsettled when it reported nothing conclusive in time, since the master may still
 * finish that reload with the file it read. `reloadInto` either leaves the worker running the
 * table just written, or puts the previous file back and reloads into it before it throws
 * (also after a reload that did not settle), so that nothing runs what the file does not say.
 */

import type { RuleTable } from '../../src/protocol/rules/model.js';
import { DriverError } from '../driver.js';
import { writeAtomically } from './files.js';
import { drainCommands } from './live-changes.js';
import type { RuntimeApi } from './runtime.js';
import { parseShowInfo } from './show-info.js';
import { parseShowProc, type ShowProc } from './show-proc.js';
import { readStat } from './show-stat.js';
import { runningMismatch, runningServers } from './verify.js';

const POLL_MS = 100;
/** A reload re-reads the configuration and binds every listener; HAProxy retries a busy port for a few seconds. */
export const RELOAD_TIMEOUT_MS = 30_000;

/** The master neither completed nor refused the reload in time: what runs afterwards is not known. */
export class ReloadUnsettled extends DriverError {
  constructor(message: string) {
    super('refused', message, 'applyFailed');
  }
}

export async function reloadAndWait(api: RuntimeApi, timeoutMs = RELOAD_TIMEOUT_MS): Promise<number> {
  const before = parseShowProc(await api.master('show proc'));
  // The master closes the connection as it re-executes: an empty answer, or none at all.
  await api.master('reload').catch((err: unknown) => {
    if (!(err instanceof DriverError && err.code === 'unreachable')) throw err;
  });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer from the master yet';
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let now: ShowProc;
    try {
      now = parseShowProc(await api.master('show proc', Math.max(POLL_MS, deadline - Date.now())));
    } catch (err) {
      // Re-executing: the socket answers nothing, or not as `show proc` does, for a moment.
      last = (err as Error).message;
      continue;
    }
    if (now.reloads <= before.reloads) continue;
    if (now.failedReloads > before.failedReloads) {
      throw new DriverError(
        'refused',
        `HAProxy at ${api.where} failed to load the new configuration at reload (the master counts ${now.failedReloads} failed reload${now.failedReloads === 1 ? '' : 's'} and keeps worker ${now.workers.join(', ') || 'none'}); ` +
          `"haproxy -c" accepted it, so it failed at startup — a port in use, a file it names missing — and HAProxy's log says which`,
        'applyFailed',
      );
    }
    const fresh = now.workers.filter((pid) => !before.workers.includes(pid));
    if (fresh.length === 0) {
      last = `the master counts the reload but lists no new worker (workers: ${now.workers.join(', ')})`;
      continue;
    }
    if (await answers(api, fresh[0]!)) return fresh[0]!;
    last = `new worker ${fresh[0]} does not answer yet`;
  }
  throw new ReloadUnsettled(`HAProxy at ${api.where}: the reload did not complete within ${timeoutMs / 1000} s (${last})`);
}

export interface ReloadTarget {
  api: RuntimeApi;
  /** The configuration file HAProxy runs (`-f`), holding the new text already. */
  file: string;
  /** For each of the reloads (forward, and back when needed). */
  timeoutMs?: number;
}

/**
 * Reloads into `target.file`, which holds `table` now. When the new worker then does not run
 * it (or the drain commands fail), or the reload did not settle in time, `previous.text` goes
 * back into the file and HAProxy reloads into it (its drain states set again) before this
 * throws. A reload the master refused needs nothing undone: the old worker runs on.
 */
export async function reloadInto(target: ReloadTarget, table: RuleTable, previous: { text: string; table: RuleTable }): Promise<void> {
  const { api } = target;
  let problem: string;
  try {
    await reloadAndWait(api, target.timeoutMs);
    const differs = await settle(api, table);
    if (differs === null) return;
    problem = `HAProxy at ${api.where} reloaded but does not run the configuration written to ${target.file} (${differs}): is that the file HAProxy was started with (-f)?`;
  } catch (err) {
    if (!(err instanceof ReloadUnsettled)) throw err;
    problem = err.message;
  }
  writeAtomically(target.file, previous.text);
  const back = await reloadAndWait(api, target.timeoutMs)
    .then(() => settle(api, previous.table))
    .then(
      (differs) =>
        differs === null
          ? 'the previous file is back and HAProxy reloaded into it'
          : `the previous file is back and HAProxy reloaded, but does not run it either (${differs})`,
      (err: unknown) => `the previous file is back, but reloading into it failed too: ${(err as Error).message}`,
    );
  throw new DriverError('refused', `${problem}; ${back}`, 'applyFailed');
}

/** Sets what a file cannot say (HAProxy starts every server ready: drain), then what differs from `table`, or null. */
async function settle(api: RuntimeApi, table: RuleTable): Promise<string | null> {
  try {
    for (const command of drainCommands(table, runningServers(await readStat(api)))) await api.set(command);
    return runningMismatch(table, await readStat(api));
  } catch (err) {
    return (err as Error).message;
  }
}

async function answers(api: RuntimeApi, pid: number): Promise<boolean> {
  try {
    return parseShowInfo(await api.worker('show info')).pid === pid;
  } catch {
    return false;
  }
}

/** The current worker's pid (also on a stats socket: there, the process behind it). */
export async function workerPid(api: RuntimeApi): Promise<number> {
  return parseShowInfo(await api.worker('show info')).pid;
}
