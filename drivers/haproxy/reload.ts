/**
 * A reload through the master CLI, and the proof that it took: HAProxy 2.6 answers `reload`
 * with nothing and closes; the master then re-executes itself and forks a new worker. The
 * reload took when `show proc` counts one more reload, no more failures, and a current worker
 * that was not there before; it failed when the master counts a failure and keeps the old
 * worker (which runs on, with the old configuration).
 *
 * Invariant: resolves with the new worker's pid only once that worker answers; otherwise throws
 * DriverError('refused', 'applyFailed') saying what the master reports.
 */

import { DriverError } from '../driver.js';
import type { RuntimeApi } from './runtime.js';
import { parseShowInfo } from './show-info.js';
import { parseShowProc, type ShowProc } from './show-proc.js';

const POLL_MS = 100;
/** A reload re-reads the configuration and binds every listener; HAProxy retries a busy port for a few seconds. */
export const RELOAD_TIMEOUT_MS = 30_000;

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
  throw new DriverError('refused', `HAProxy at ${api.where}: the reload did not complete within ${timeoutMs / 1000} s (${last})`, 'applyFailed');
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
