/**
 * Makes a configuration file run, whole or not at all: checked by `haproxy -c`, written
 * atomically, then applied — live through the runtime API when only weights and states change,
 * else by a reload through the master CLI — and read back from the worker.
 *
 * Invariant: when this throws, the file holds what it held before and the worker runs what it
 * ran before (live commands are undone; a reload that failed left the old worker; a reload that
 * took but does not run the table, or that did not settle in time, is reloaded back to the
 * restored file: reload.ts).
 */

import { rmSync } from 'node:fs';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { DriverError } from '../driver.js';
import { checkConfig } from './check.js';
import { runningConfig } from './config-file.js';
import { readText, temporaryName, writeAtomically, writeDurably } from './files.js';
import { liveChange } from './live-changes.js';
import { reloadInto } from './reload.js';
import type { RuntimeApi } from './runtime.js';
import { readStat } from './show-stat.js';
import { runningMismatch, runningServers } from './verify.js';

export interface Applied {
  mode: 'live' | 'reload';
  /** What went to the runtime socket (live) or into the file (reload). */
  bytes: number;
  configId: string;
  table: RuleTable;
}

export interface ApplyContext {
  api: RuntimeApi;
  /** The configuration file HAProxy runs (`-f`). */
  file: string;
  /** The program for `-c`. */
  program: string;
}

/** Runs `text` (the whole new file) in place of what the file holds now. */
export async function applyFile(ctx: ApplyContext, text: string): Promise<Applied> {
  const previous = readText(ctx.file);
  const before = runningConfig(previous, ctx.file);
  const next = runningConfig(text, ctx.file);
  const candidate = temporaryName(ctx.file);
  try {
    writeDurably(candidate, text);
    await checkConfig(ctx.program, candidate, ctx.file);
  } finally {
    rmSync(candidate, { force: true });
  }
  const rows = await readStat(ctx.api);
  const live = liveChange(before.table, next.table, runningServers(rows));
  writeAtomically(ctx.file, text);
  try {
    // reloadInto checks what the new worker runs itself (and reloads back into the previous file if not).
    if (live === null) await reloadInto({ api: ctx.api, file: ctx.file }, next.table, { text: previous, table: before.table });
    else {
      await runLive(ctx.api, live.apply, live.undo);
      // A read-back that fails counts as a mismatch: the change is undone, never left half-known.
      const mismatch = await readStat(ctx.api).then(
        (after) => runningMismatch(next.table, after),
        (err: unknown) => `its counters could not be read back (${(err as Error).message})`,
      );
      if (mismatch !== null) {
        await runLive(ctx.api, live.undo, []).catch(() => undefined);
        throw new DriverError('refused', `HAProxy at ${ctx.api.where} took the runtime commands but does not run the table: ${mismatch}`, 'applyFailed');
      }
    }
  } catch (err) {
    writeAtomically(ctx.file, previous);
    throw err;
  }
  const bytes = live !== null ? live.apply.reduce((n, c) => n + Buffer.byteLength(c) + 1, 0) : Buffer.byteLength(text);
  return { mode: live !== null ? 'live' : 'reload', bytes, configId: next.configId, table: next.table };
}

/** Runs `commands` one by one; when one is refused, runs `undo` for what had been done and rethrows. */
async function runLive(api: RuntimeApi, commands: string[], undo: string[]): Promise<void> {
  for (let i = 0; i < commands.length; i++) {
    try {
      await api.set(commands[i]!);
    } catch (err) {
      // `undo` mirrors `commands` in reverse: the last `i` entries undo what ran.
      for (const back of undo.slice(undo.length - i)) await api.set(back).catch(() => undefined);
      throw err;
    }
  }
}
