/**
 * One agent process at a time changes a managed HAProxy box: a lock file created exclusively
 * (O_EXCL), holding the owner's pid and host. A lock whose owner is gone (same host, pid not
 * running) is taken over, so a crashed process does not lock the box out forever. Taking over
 * is itself exclusive (a `.break` file created O_EXCL, held for two file operations) and removes
 * the lock only if it still names the dead owner: two processes that both find the same stale
 * lock must not each remove it, or the second would remove the lock the first just took.
 *
 * Invariant: resolves with the release function only while this process holds the file; gives
 * up with DriverError('refused', 'busy') naming the holder after `timeoutMs`.
 */

import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { DriverError } from '../driver.js';
import { storageError } from './files.js';

const RETRY_MS = 50;
/** A `.break` file older than this was left by a process that died while taking over: removed. */
const BREAK_ABANDONED_MS = 10_000;

interface Holder {
  pid: number;
  host: string;
  since: number;
}

export async function acquireLock(file: string, timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o640);
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() } satisfies Holder));
      } finally {
        closeSync(fd);
      }
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(`creating the lock ${file}`, err);
    }
    const holder = readHolder(file);
    if (holder !== null && holder.host === hostname() && !alive(holder.pid)) {
      if (breakStale(file, holder)) continue;
    }
    if (Date.now() >= deadline) {
      const who = holder === null ? 'another process' : `process ${holder.pid} on ${holder.host} (since ${new Date(holder.since).toISOString()})`;
      throw new DriverError('refused', `${file}: ${who} is changing this HAProxy box; try again when it is done`, 'busy');
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/** Removes `file` if it still names `stale`, under the `.break` guard; false when another process holds the guard. */
function breakStale(file: string, stale: Holder): boolean {
  const guard = `${file}.break`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o640);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(`creating ${guard}`, err);
    if (ageMs(guard) > BREAK_ABANDONED_MS) rmSync(guard, { force: true });
    return false;
  }
  closeSync(fd);
  try {
    const now = readHolder(file);
    if (now !== null && now.pid === stale.pid && now.host === stale.host && now.since === stale.since) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
  return true;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.since === 'number' ? (h as Holder) : null;
  } catch {
    // Being written at this moment, or removed: look again on the next round.
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
