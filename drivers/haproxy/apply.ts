/**
 * Makes a configuration file run, whole or not at all: checked by `haproxy -c`, written
 * atomically, then applied — live through the runtime API when only weights and states change,
 * else by a reload through the master CLI — and read back from the worker.
 *
 * Invariant: when this throws, the file holds what it held before and the worker runs what it
 * ran before (live commands are undone; a reload that failed left the old worker; a reload that
 * took but does not run the table is reloaded back to the restored file).
 */

import { rmSync } from 'node:fs';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { DriverError } from '../driver.js';
import { checkConfig } from './check.js';
import { runningConfig } from './config-file.js';
import { readText, temporaryName, writeAtomically, writeDurably } from './files.js';
import { drainCommands, liveChange } from './live-changes.js';
import { reloadAndWait } from './reload.js';
import type { RuntimeApi } from './runtime.js';
import { parseShowStat, type StatRow } from './show-stat.js';
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

export async function stat(api: RuntimeApi): Promise<StatRow[]> {
  return parseShowStat(await api.worker('show stat'));
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
  const rows = await stat(ctx.api);
  const live = liveChange(before.table, next.table, runningServers(rows));
  writeAtomically(ctx.file, text);
  try {
    // reload() checks what the new worker runs itself (and puts the previous file back if not).
    if (live === null) await reload(ctx, next.table, previous);
    else {
      await runLive(ctx.api, live.apply, live.undo);
      // A read-back that fails counts as a mismatch: the change is undone, never left half-known.
      const mismatch = await stat(ctx.api).then(
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

/**
 * Reloads into the file just written. When the new worker then does not run the table (or the
 * drain commands fail), the previous file goes back and HAProxy reloads into it before this throws.
 */
async function reload(ctx: ApplyContext, table: RuleTable, previous: string): Promise<void> {
  await reloadAndWait(ctx.api);
  let problem: string | null;
  try {
    // HAProxy starts every server ready: what the file cannot say (drain) is set now.
    for (const command of drainCommands(table, runningServers(await stat(ctx.api)))) await ctx.api.set(command);
    problem = runningMismatch(table, await stat(ctx.api));
  } catch (err) {
    problem = (err as Error).message;
  }
  if (problem === null) return;
  writeAtomically(ctx.file, previous);
  const back = await reloadAndWait(ctx.api).then(
    () => 'the previous file is back and HAProxy reloaded into it',
    (err: unknown) => `the previous file is back, but reloading into it failed too: ${(err as Error).message}`,
  );
  throw new DriverError(
    'refused',
    `HAProxy at ${ctx.api.where} reloaded but does not run the configuration written to ${ctx.file} (${problem}): is that the file HAProxy was started with (-f)? ${back}`,
    'applyFailed',
  );
}
