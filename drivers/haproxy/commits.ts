/**
 * Commit, commit confirmed, confirm, rollback N and the revert of an unconfirmed commit, done by
 * the agent for a box that has none of its own — with the appliances' semantics
 * (firmware/mgmt/config-manager.ts): every change puts the file it replaced first in the history
 * (at most MAX_ROLLBACK_STEPS); a commit confirmed keeps the last confirmed file as its revert
 * target (a second one while pending keeps that target and restarts the deadline); a plain
 * commit, a confirm or a rollback ends the pending state.
 *
 * Invariant: the state naming the new history and pending commit is written before the file is
 * applied and put back when applying fails, under the box's lock, so another process sees either
 * the old state with the old file or the new state with the new file.
 */

import { DriverError } from '../driver.js';
import { applyFile, type Applied, type ApplyContext } from './apply.js';
import { renderConfigFile, runningConfig } from './config-file.js';
import { readText } from './files.js';
import { pushHistory, type BoxState, type SavedConfig, type StateDirectory } from './state.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';

/** Long enough for another process's reload (which HAProxy may stretch to seconds) to finish. */
const LOCK_TIMEOUT_MS = 60_000;

export interface ChangeOutcome extends Applied {
  previousConfigId: string;
}

export class Commits {
  constructor(
    private readonly ctx: ApplyContext,
    private readonly state: StateDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `table`; with confirmTimeoutMs > 0, reverted at the deadline unless confirmed. */
  commit(table: RuleTable, confirmTimeoutMs: number): Promise<ChangeOutcome> {
    return this.locked(async () => {
      const current = readText(this.ctx.file);
      const text = renderConfigFile(table, current);
      const state = this.state.read();
      const running = this.keep(state, current);
      const pending =
        confirmTimeoutMs > 0
          ? { deadline: this.now() + confirmTimeoutMs, configId: runningConfig(text, this.ctx.file).configId, revertTo: state.pending?.revertTo ?? running }
          : null;
      return this.change(state, { ...state, history: pushHistory(state.history, running), pending }, text, running.configId);
    });
  }

  confirm(): Promise<{ configId: string }> {
    return this.locked(async () => {
      const state = this.state.read();
      if (state.pending === null) throw new DriverError('refused', 'no commit is pending confirmation', 'nothingToConfirm');
      // Past its deadline a commit is due to revert (a revert that failed, HAProxy unreachable, is retried): too late to keep it.
      if (state.pending.deadline <= this.now())
        throw new DriverError(
          'refused',
          `the commit of ${state.pending.configId} passed its confirm deadline and is being reverted: confirm came too late`,
          'confirmExpired',
        );
      const next = { ...state, pending: null };
      this.state.write(next);
      this.state.prune(next);
      return { configId: runningConfig(readText(this.ctx.file), this.ctx.file).configId };
    });
  }

  rollback(steps: number): Promise<ChangeOutcome> {
    return this.locked(async () => {
      const state = this.state.read();
      const target = Number.isInteger(steps) && steps >= 1 ? state.history[steps - 1] : undefined;
      if (target === undefined) {
        const held = state.history.length;
        throw new DriverError('refused', `no rollback ${steps}: the history holds ${held === 0 ? 'no configs' : `rollback 1 to ${held}`}`, 'noSuchRollback');
      }
      const current = readText(this.ctx.file);
      const running = this.keep(state, current);
      return this.change(state, { ...state, history: pushHistory(state.history, running), pending: null }, this.state.text(target), running.configId);
    });
  }

  /**
   * The revert of a commit confirmed whose deadline has passed: null when there is none (or it
   * was confirmed meanwhile by another process), else what now runs.
   */
  revertIfDue(): Promise<ChangeOutcome | null> {
    const seen = this.state.read().pending;
    if (seen === null || seen.deadline > this.now()) return Promise.resolve(null);
    return this.locked(async () => {
      const state = this.state.read();
      const pending = state.pending;
      if (pending === null || pending.deadline > this.now()) return null;
      const current = readText(this.ctx.file);
      const running = this.keep(state, current);
      return this.change(state, { ...state, history: pushHistory(state.history, running), pending: null }, this.state.text(pending.revertTo), running.configId);
    });
  }

  pending(): BoxState['pending'] {
    return this.state.read().pending;
  }

  /** The file running now as a history entry (written, not yet named by any state). */
  private keep(state: BoxState, text: string): SavedConfig {
    return this.state.save(state, text, runningConfig(text, this.ctx.file).configId, this.now());
  }

  private async change(old: BoxState, next: BoxState, text: string, previousConfigId: string): Promise<ChangeOutcome> {
    this.state.write(next);
    let applied: Applied;
    try {
      applied = await applyFile(this.ctx, text);
    } catch (err) {
      this.state.write(old);
      this.state.prune(old);
      throw err;
    }
    this.state.prune(next);
    return { ...applied, previousConfigId };
  }

  private async locked<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.state.lock(LOCK_TIMEOUT_MS);
    try {
      return await work();
    } finally {
      release();
    }
  }
}
