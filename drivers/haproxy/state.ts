/**
 * What the agent keeps next to a managed HAProxy's configuration file, in `FILE.fulcrum/`, so
 * that any agent process on any later day sees it — a CLI `confirm`, the poller of `monitor` or
 * `serve`, the next connection:
 *
 *   state.json     the history (earlier files, most recent first, at most MAX_ROLLBACK_STEPS) and
 *                  the pending commit confirmed (its deadline, its config id, the file it reverts to)
 *   history/N.cfg  the earlier files themselves, as they were
 *   lock           held while a process changes the box (pid and host inside)
 *
 * Invariant: state.json is replaced atomically, and only after the files it names are written;
 * a history file is removed only once the state written last does not name it. A state.json that cannot be read is an
 * error naming it, never an empty history.
 */

import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MAX_ROLLBACK_STEPS } from '../../src/protocol/rules/limits.js';
import { DriverError } from '../driver.js';
import { readText, storageError, writeAtomically, writeDurably } from './files.js';
import { acquireLock } from './lock.js';

export { MAX_ROLLBACK_STEPS };

export interface SavedConfig {
  configId: string;
  /** Relative to the state directory: `history/N.cfg`. */
  file: string;
  /** When it stopped running (epoch ms). */
  at: number;
}

export interface PendingCommit {
  /** Epoch ms: reverted when a driver sees this passed. */
  deadline: number;
  /** The unconfirmed config's id. */
  configId: string;
  /** The last confirmed config: what the box goes back to. */
  revertTo: SavedConfig;
}

export interface BoxState {
  history: SavedConfig[];
  pending: PendingCommit | null;
  /** The number the next history file takes. */
  next: number;
}

const EMPTY: BoxState = { history: [], pending: null, next: 1 };

export class StateDirectory {
  readonly dir: string;

  constructor(readonly configFile: string) {
    this.dir = `${configFile}.fulcrum`;
  }

  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }

  read(): BoxState {
    if (!existsSync(this.stateFile)) return { ...EMPTY, history: [] };
    const text = readText(this.stateFile, "the agent's state for this box");
    try {
      return checkState(JSON.parse(text));
    } catch (err) {
      throw new DriverError(
        'refused',
        `${this.stateFile}: not a state the agent wrote (${(err as Error).message}); move it away to start with an empty history`,
        'storage',
      );
    }
  }

  write(state: BoxState): void {
    this.ensure();
    writeAtomically(this.stateFile, `${JSON.stringify(state, null, 2)}\n`, "the agent's state for this box");
  }

  /** Keeps `text` as a history file; returns its entry (not yet in any state). */
  save(state: BoxState, text: string, configId: string, at: number): SavedConfig {
    this.ensure();
    const file = path.join('history', `${state.next}.cfg`);
    try {
      writeDurably(path.join(this.dir, file), text);
    } catch (err) {
      throw storageError(`keeping the previous configuration in ${path.join(this.dir, file)}`, err);
    }
    state.next++;
    return { configId, file, at };
  }

  text(saved: SavedConfig): string {
    return readText(path.join(this.dir, saved.file), 'a kept configuration');
  }

  lock(timeoutMs: number): Promise<() => void> {
    this.ensure();
    return acquireLock(path.join(this.dir, 'lock'), timeoutMs);
  }

  private ensure(): void {
    try {
      mkdirSync(path.join(this.dir, 'history'), { recursive: true, mode: 0o750 });
    } catch (err) {
      throw storageError(`creating ${this.dir} (where the agent keeps earlier configurations and commits to confirm)`, err);
    }
  }

  /** Removes the history files `state` (the one written last) does not name. */
  prune(state: BoxState): void {
    const named = new Set([...state.history.map((h) => h.file), ...(state.pending ? [state.pending.revertTo.file] : [])]);
    for (const name of readdirSync(path.join(this.dir, 'history'))) {
      const file = path.join('history', name);
      if (!named.has(file)) rmSync(path.join(this.dir, file), { force: true });
    }
  }
}

/** The history after `running` stopped running: it goes first, the oldest fall off. */
export function pushHistory(history: readonly SavedConfig[], running: SavedConfig): SavedConfig[] {
  return [running, ...history].slice(0, MAX_ROLLBACK_STEPS);
}

function checkState(value: unknown): BoxState {
  const o = value as Partial<BoxState>;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.history) || typeof o.next !== 'number') throw new Error('expected history, pending and next');
  for (const h of o.history) checkSaved(h);
  if (o.pending !== null && o.pending !== undefined) {
    const p = o.pending;
    if (typeof p.deadline !== 'number' || typeof p.configId !== 'string') throw new Error('pending needs a deadline and a configId');
    checkSaved(p.revertTo);
  }
  return { history: o.history, pending: o.pending ?? null, next: o.next };
}

function checkSaved(s: unknown): void {
  const o = s as Partial<SavedConfig>;
  if (typeof o !== 'object' || o === null || typeof o.configId !== 'string' || typeof o.file !== 'string' || !/^history\/[0-9]+\.cfg$/.test(o.file)) {
    throw new Error(`bad history entry ${JSON.stringify(s)}`);
  }
}
