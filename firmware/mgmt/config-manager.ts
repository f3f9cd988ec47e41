/**
 * The appliance's configuration database, in the spirit of Junos: a candidate is staged, a commit
 * makes it run (optionally "confirmed": it reverts by itself unless confirmed in time), and the
 * previously committed configs stay on a rollback history.
 *
 * Three configs matter at any time:
 * - running: what the forwarding core runs (the manager changes it only through `apply`);
 * - startup: the last *confirmed* config, the one in `startup.rules` that a boot runs;
 * - candidate: staged bytes, in memory only.
 * Running and startup differ only while a commit is pending confirmation: running is then the new
 * config and startup the one the timer will go back to, so a reboot while pending also goes back
 * (storage marks the commit as pending, so a failover member can take it up again: see
 * `resumeInterrupted`).
 *
 * Every operation is all or nothing. It applies the new running config first (a table the core
 * refuses changes nothing), then saves, and puts the old config back if saving fails. Saving
 * writes two blobs in a fixed order, explained in history-journal.ts and at `save` below:
 *   1. history.bin — the journal: the state storage holds now and the state being moved to;
 *   2. startup.rules — the commit point, written only when the startup config changes.
 * A power cut before 2 boots the old startup config with the old history; after 2, the new
 * startup config with the new history; never a mix, never a half-written blob.
 */

import { CodecError } from '../../src/protocol/rules/index.js';
import { MAX_ROLLBACK_STEPS } from '../../src/protocol/rules/limits.js';
import { restoreState, STARTUP_FILE } from './config-load.js';
import type { Cancel } from '../ports.js';
import { recordFromBytes, recordFromTable, shortId, withNote, type CommitNote, type ConfigRecord } from './config-record.js';
import { MgmtError } from './errors.js';
import { encodeJournal, HISTORY_FILE, type SavedState } from './history-journal.js';
import { OperationQueue } from './operation-queue.js';
import type { ChangeResult, ConfigEvent, ConfigManagerOptions, ConfigStatus, LoadOptions, PendingConfirm, RestoredState } from './config-types.js';
import { describeError } from '../../src/protocol/describe-error.js';

export type { CommitNote, ConfigRecord } from './config-record.js';
export type { ApplyConfig, ChangeResult, ConfigEvent, ConfigManagerOptions, ConfigStatus, LoadOptions, PendingConfirm, RestoredState } from './config-types.js';
export { MgmtError, type MgmtErrorCode } from './errors.js';

export { STARTUP_FILE } from './config-load.js';
export { HISTORY_FILE } from './history-journal.js';
export { MAX_ROLLBACK_STEPS };
/** The longest confirm timeout: timers built on setTimeout fire at once beyond 2^31-1 ms (~24.8 days). */
export const MAX_CONFIRM_TIMEOUT_MS = 2_147_483_647;
/** If going back at the confirm deadline fails (the core refuses the old table), try again this often. */
export const REVERT_RETRY_MS = 1_000;

interface PendingState extends PendingConfirm {
  /** Identifies this arming of the timer: a timer that fired for an older one does nothing. */
  token: object;
  cancel: Cancel;
}

interface NextState {
  running: ConfigRecord;
  startup: ConfigRecord;
  history: readonly ConfigRecord[];
  /** Whether `running` still awaits confirmation after this change. */
  pending: boolean;
  /** Whether storage marks it as a pending commit a group member may take up again (default: `pending`); false once that mark is spent. */
  rejoinable?: boolean;
}

export class ConfigManager {
  private runningRec: ConfigRecord;
  private startupRec: ConfigRecord;
  private historyList: readonly ConfigRecord[];
  private candidateRec: ConfigRecord | null = null;
  private pendingState: PendingState | null = null;
  /** What storage holds (as far as the last successful write knows): the `previous` side of the next journal. */
  private saved: SavedState;
  /** A commit confirmed that storage says was pending at the last power-off, until taken up again or overtaken by any change. */
  private interrupted: ConfigRecord | null;
  private readonly queue = new OperationQueue();
  readonly loadProblems: readonly string[];

  /** Without `restored`: an empty table runs and nothing is known to be saved, so the first change writes both blobs. */
  constructor(
    private readonly options: ConfigManagerOptions,
    restored?: RestoredState,
  ) {
    this.runningRec = restored?.running ?? recordFromTable({ services: [] });
    this.startupRec = this.runningRec;
    this.historyList = (restored?.history ?? []).slice(0, MAX_ROLLBACK_STEPS);
    this.saved = restored?.saved ?? { startupId: '', history: [] };
    this.loadProblems = restored?.problems ?? [];
    this.interrupted = restored?.interrupted ?? null;
  }

  /**
   * Rebuilds the database from storage after a boot: running = startup = `startup.rules`, the
   * history from the journal (config-load.ts). A missing or corrupt history is an empty one,
   * never fatal. It does not call `apply`: the appliance boots the startup config itself. A
   * commit confirmed that was pending when the box went down is reported in `interruptedCommit`.
   */
  static async load(options: LoadOptions): Promise<ConfigManager> {
    return new ConfigManager(options, await restoreState(options));
  }

  get running(): ConfigRecord {
    return this.runningRec;
  }

  get startup(): ConfigRecord {
    return this.startupRec;
  }

  get candidate(): ConfigRecord | null {
    return this.candidateRec;
  }

  get pending(): PendingConfirm | null {
    const p = this.pendingState;
    return p ? { deadline: p.deadline, previous: p.previous } : null;
  }

  /** A commit confirmed that was pending when the box went down (it is rollback 1); null when none, or once taken up or overtaken. */
  get interruptedCommit(): ConfigRecord | null {
    return this.interrupted;
  }

  /** Previously committed configs, most recent first. */
  get history(): readonly ConfigRecord[] {
    return this.historyList;
  }

  /** Stages `encoding` as the candidate (memory only). Returns its config id. */
  setCandidate(encoding: Uint8Array): string {
    let record: ConfigRecord;
    try {
      record = recordFromBytes(encoding);
    } catch (err) {
      if (err instanceof CodecError) throw new MgmtError('invalidConfig', `candidate is not a valid rule table: ${err.message}`, { cause: err });
      throw err;
    }
    this.candidateRec = record;
    return record.id;
  }

  /**
   * Makes the candidate run. Timeout 0: a plain commit, saved as startup at once (and confirming
   * any pending commit). Timeout > 0: commit confirmed; startup stays the last confirmed config
   * and the manager goes back to it at the deadline unless `confirm()` comes first. A commit
   * confirmed during a pending one keeps that revert target and restarts the deadline.
   *
   * The candidate is taken when `commit` is called, not when its turn in the queue comes, so a
   * later `setCandidate` cannot change what an earlier commit commits. Resolves to the new
   * running id and the one it replaced.
   */
  async commit(options: { confirmTimeoutMs?: number; note?: Omit<CommitNote, 'at'> } = {}): Promise<ChangeResult> {
    const timeoutMs = checkedTimeout(options.confirmTimeoutMs ?? 0);
    const staged = this.candidateRec;
    if (!staged) throw new MgmtError('noCandidate', 'nothing to commit: no candidate config is staged');
    return this.queue.run(async () => {
      const pendingConfirm = timeoutMs > 0;
      const previousId = this.runningRec.id;
      const candidate = withNote(staged, { at: this.options.clock.epochMs(), by: options.note?.by ?? '', comment: options.note?.comment ?? '' });
      await this.change({
        running: candidate,
        // While pending, startup stays the last confirmed config: that is what a reboot must run.
        startup: pendingConfirm ? this.startupRec : candidate,
        history: capped([this.runningRec, ...this.historyList]),
        pending: pendingConfirm,
      });
      if (pendingConfirm) this.armPending(timeoutMs);
      else this.clearPending();
      if (this.candidateRec === staged) this.candidateRec = null;
      this.emit({ kind: 'commit', configId: candidate.id, pendingConfirm, at: this.options.clock.epochMs() });
      return { configId: candidate.id, previousId };
    });
  }

  /**
   * Keeps the pending commit: cancels the revert and saves the running config as startup.
   * `configId`: confirm only if that is still the config pending when this operation's turn
   * comes (a confirm decided on what a peer runs must not confirm a later commit); `by`: why,
   * carried by the `confirm` event.
   */
  async confirm(options: { configId?: string; by?: string } = {}): Promise<{ configId: string }> {
    return this.queue.run(async () => {
      if (!this.pendingState) throw new MgmtError('nothingToConfirm', 'no commit is pending confirmation');
      const running = this.runningRec;
      if (options.configId !== undefined && options.configId !== running.id)
        throw new MgmtError('nothingToConfirm', `config ${shortId(options.configId)} is no longer the one pending: ${shortId(running.id)} is`);
      await this.change({ running, startup: running, history: this.historyList, pending: false });
      this.clearPending();
      this.emit({ kind: 'confirm', configId: running.id, at: this.options.clock.epochMs(), ...(options.by !== undefined ? { by: options.by } : {}) });
      return { configId: running.id };
    });
  }

  /**
   * Junos `rollback N` + `commit`: history[steps-1] runs and becomes startup; the config it
   * replaced goes onto the history (the entries already there stay, shifted by one). Cancels a
   * pending confirm. `steps` counts in the history as it stands when this operation's turn
   * comes. Resolves to the new running id and the one it replaced.
   */
  async rollback(steps = 1, note?: Omit<CommitNote, 'at'>): Promise<ChangeResult> {
    return this.queue.run(async () => {
      const slot = Number.isInteger(steps) && steps >= 1 ? this.historyList[steps - 1] : undefined;
      const comment = note?.comment || `rollback ${steps}`;
      const target = slot && withNote(slot, { at: this.options.clock.epochMs(), by: note?.by ?? '', comment });
      if (!target) {
        const held = this.historyList.length;
        throw new MgmtError('noSuchRollback', `no rollback ${steps}: the history holds ${held === 0 ? 'no configs' : `rollback 1 to ${held}`}`);
      }
      const previousId = this.runningRec.id;
      await this.change({ running: target, startup: target, history: capped([this.runningRec, ...this.historyList]), pending: false });
      this.clearPending();
      this.emit({ kind: 'rollback', configId: target.id, reason: 'operator', at: this.options.clock.epochMs() });
      return { configId: target.id, previousId };
    });
  }

  /**
   * Takes the interrupted commit up again (a failover member's boot, firmware/failover/rejoin.ts):
   * it runs pending, confirmable and revertible as any commit confirmed, and goes back to the
   * startup config after `timeoutMs` unless confirmed; the `commit` event carries `detail`. The
   * journal's mark is spent first, before the config runs: should the box go down again —
   * even because of this config — it boots its startup config, so one commit is taken up once,
   * never in a crash loop. Resolves to its id, or null when there is nothing to take up.
   */
  async resumeInterrupted(timeoutMs: number, detail: string): Promise<string | null> {
    if (checkedTimeout(timeoutMs) === 0) throw new MgmtError('badRequest', 'taking an interrupted commit up again needs a confirm timeout');
    return this.queue.run(async () => {
      const commit = this.interrupted;
      this.interrupted = null;
      if (!commit || this.pendingState || this.historyList[0]?.id !== commit.id) return null;
      try {
        await this.save(this.startupRec, this.historyList, false);
      } catch (err) {
        throw new MgmtError('storage', `clearing the mark of the interrupted commit ${shortId(commit.id)} failed: ${describeError(err)}; nothing changed`, {
          cause: err,
        });
      }
      await this.change({ running: commit, startup: this.startupRec, history: this.historyList.slice(1), pending: true, rejoinable: false });
      this.armPending(timeoutMs);
      this.emit({ kind: 'commit', configId: commit.id, pendingConfirm: true, at: this.options.clock.epochMs(), detail });
      return commit.id;
    });
  }

  status(): ConfigStatus {
    const p = this.pendingState;
    return {
      runningId: this.runningRec.id,
      startupId: this.startupRec.id,
      candidateId: this.candidateRec?.id ?? null,
      pendingConfirmMs: p ? Math.max(0, p.deadline - this.options.clock.now()) : 0,
      history: this.historyList.map((c) => c.id),
    };
  }

  /** Resolves once every queued operation (including a revert the timer queued) has finished. */
  whenIdle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Cancels the confirm timer (appliance shutdown). Nothing is lost: a reboot while pending runs
   * the confirmed startup config, which is what the timer would have done — or, for a failover
   * member, takes the commit up again for a short while so its group can settle it
   * (`resumeInterrupted`).
   */
  stop(): void {
    this.pendingState?.cancel();
  }

  /**
   * Runs `next.running`, saves, then adopts `next`. If `apply` throws, nothing has changed. If
   * saving throws, the previous running config is applied again, so memory, core and storage
   * still agree on the old state (storage may have completed the failing write: it then holds
   * the new state, which is consistent on its own and rewritten by the next change).
   */
  private async change(next: NextState): Promise<void> {
    const before = this.runningRec;
    // Re-applying the same table would only reset the core's connection state.
    const swap = next.running.id !== before.id;
    if (swap) await this.applyRecord(next.running);
    try {
      // While a commit is pending, storage holds what a reboot (or the timer) leads to: the
      // confirmed startup config, with the unconfirmed config as rollback 1.
      await this.save(next.startup, next.pending ? capped([next.running, ...next.history]) : next.history, next.pending && next.rejoinable !== false);
    } catch (err) {
      const failure = `saving the configuration failed: ${describeError(err)}`;
      if (swap) {
        try {
          await this.options.apply(before.table, before.encoding, before.id);
        } catch (restoreErr) {
          // The core runs the new table and will not take the old one back: report what runs.
          this.runningRec = next.running;
          throw new MgmtError(
            'storage',
            `${failure}; putting ${shortId(before.id)} back failed too (${describeError(restoreErr)}): ${shortId(next.running.id)} runs but is not saved`,
            { cause: err },
          );
        }
      }
      throw new MgmtError('storage', `${failure}; ${swap ? `${shortId(before.id)} runs again` : 'nothing changed'}`, { cause: err });
    }
    this.runningRec = next.running;
    this.startupRec = next.startup;
    this.historyList = next.history;
    // Storage now describes this change: whatever was interrupted before is overtaken.
    this.interrupted = null;
  }

  /**
   * The durable write order (see history-journal.ts):
   *   1. history.bin := { current: new state, previous: what storage holds now };
   *   2. startup.rules := the new startup config — only if it changes; this is the commit point.
   * Cut before 1: old blobs, old state. Cut between 1 and 2: startup.rules is still old, so load
   * picks the journal's `previous` side: old state. After 2: new startup, `current` side: new
   * state. Writing startup.rules first instead would leave, after a cut, a new startup config
   * with a history that no longer lists the config it replaced. Each write is atomic (the
   * StoragePort's contract), so no blob is ever half old, half new.
   */
  private async save(startup: ConfigRecord, history: readonly ConfigRecord[], pending: boolean): Promise<void> {
    const saved = this.saved;
    const next: SavedState = { startupId: startup.id, startupNote: startup.note, history, ...(pending ? { pending } : {}) };
    const newStartup = saved.startupId !== startup.id;
    if (!newStartup && sameIds(saved.history, history) && (saved.pending === true) === pending) return;
    await this.options.storage.writeAtomic(HISTORY_FILE, encodeJournal({ current: next, previous: saved }));
    if (newStartup) await this.options.storage.writeAtomic(STARTUP_FILE, startup.encoding);
    this.saved = next;
  }

  private async applyRecord(config: ConfigRecord): Promise<void> {
    try {
      await this.options.apply(config.table, config.encoding, config.id);
    } catch (err) {
      throw new MgmtError('applyFailed', `the forwarding core refused config ${shortId(config.id)}: ${describeError(err)}; nothing changed`, { cause: err });
    }
  }

  /** (Re)starts the confirm deadline. The revert target is always the confirmed (startup) config. */
  private armPending(timeoutMs: number): void {
    this.pendingState?.cancel();
    const token = {};
    const cancel = this.options.clock.after(timeoutMs, () => this.queueRevert(token));
    this.pendingState = { deadline: this.options.clock.now() + timeoutMs, previous: this.startupRec, token, cancel };
  }

  private clearPending(): void {
    this.pendingState?.cancel();
    this.pendingState = null;
  }

  /** The timer only queues the revert: it waits for an operation in progress, like any other. */
  private queueRevert(token: object): void {
    void this.queue.run(() => this.revert(token));
  }

  /** Never throws: it runs from a timer, with no caller to report to; failures become events. */
  private async revert(token: object): Promise<void> {
    const pending = this.pendingState;
    // Confirmed, rolled back or re-armed while this was queued.
    if (!pending || pending.token !== token) return;
    try {
      await this.change({
        running: pending.previous,
        startup: this.startupRec,
        history: capped([this.runningRec, ...this.historyList]),
        pending: false,
      });
    } catch (err) {
      // Keep the commit pending (an operator can still confirm or roll back) and try again.
      pending.cancel = this.options.clock.after(REVERT_RETRY_MS, () => this.queueRevert(token));
      this.emit({
        kind: 'revert-failed',
        configId: pending.previous.id,
        detail: describeError(err),
        retryInMs: REVERT_RETRY_MS,
        at: this.options.clock.epochMs(),
      });
      return;
    }
    this.pendingState = null;
    this.emit({ kind: 'rollback', configId: pending.previous.id, reason: 'confirm-timeout', at: this.options.clock.epochMs() });
  }

  private emit(event: ConfigEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // The change has happened; a failing listener must not turn it into a reported failure.
    }
  }
}

function checkedTimeout(timeoutMs: number): number {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_CONFIRM_TIMEOUT_MS)
    throw new MgmtError('badRequest', `confirm timeout must be a whole number of milliseconds from 0 to ${MAX_CONFIRM_TIMEOUT_MS}, not ${timeoutMs}`);
  return timeoutMs;
}

function capped(history: readonly ConfigRecord[]): readonly ConfigRecord[] {
  return history.slice(0, MAX_ROLLBACK_STEPS);
}

function sameIds(a: readonly ConfigRecord[], b: readonly ConfigRecord[]): boolean {
  return a.length === b.length && a.every((c, i) => c.id === b[i]!.id);
}
