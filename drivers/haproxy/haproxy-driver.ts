/**
 * An HAProxy box behind the ApplianceDriver interface: identity from `show info`, counters from
 * `show stat`, the running table from the configuration file, pushes live (weights and states)
 * or by check + atomic write + reload, and commit confirmed, confirm and rollback kept by the
 * agent next to the file (./commits.ts, ./state.ts) since HAProxy has none of its own.
 *
 * Invariant: one operation at a time per driver (and one process at a time per box, by the lock
 * in the state directory); a commit confirmed whose deadline has passed is reverted by whichever
 * driver sees it first — on connecting, before each operation, or by its timer while open.
 */

import { performance } from 'node:perf_hooks';
import type { CountersSnapshot } from '../../src/protocol/counters.js';
import { CodecError, decodeRules, encodeRules } from '../../src/protocol/rules/codec.js';
import { MAX_ROLLBACK_STEPS } from '../../src/protocol/rules/limits.js';
import { DriverError, type ApplianceDriver, type ApplianceEvent, type ApplianceInfo, type PushOptions, type PushResult } from '../driver.js';
import { Commits, type ChangeOutcome } from './commits.js';
import { runningConfig, type RunningConfig } from './config-file.js';
import { countersFrom } from './counters.js';
import { readText } from './files.js';
import { RuntimeApi } from './runtime.js';
import { parseShowInfo } from './show-info.js';
import { readStat } from './show-stat.js';
import { StateDirectory } from './state.js';
import { parseHaproxyTarget, type HaproxyTarget } from './target.js';

/** A revert that failed (HAProxy down, the file unwritable) is tried again this much later. */
const REVERT_RETRY_MS = 5_000;
/** The largest timer Node keeps (~24.8 days); longer deadlines are re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export class HaproxyDriver implements ApplianceDriver {
  private readonly listeners = new Set<(e: ApplianceEvent) => void>();
  private readonly commits: Commits;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private parsed: { text: string; running: RunningConfig } | null = null;
  /** Backend up/down as last seen by counters(), for backend-state events. */
  private readonly lastUp = new Map<string, boolean>();

  private constructor(
    readonly target: string,
    private readonly where: HaproxyTarget,
    private readonly api: RuntimeApi,
  ) {
    this.commits = new Commits({ api, file: where.config, program: where.program }, new StateDirectory(where.config));
  }

  /** Opens the runtime API and reads the configuration file; reverts a commit confirmed left past its deadline. */
  static async connect(target: string): Promise<HaproxyDriver> {
    const where = parseHaproxyTarget(target);
    const api = await RuntimeApi.open(where.socket, where.timeoutMs);
    const driver = new HaproxyDriver(target, where, api);
    driver.running();
    await driver.serially(() => driver.expire());
    return driver;
  }

  info(): Promise<ApplianceInfo> {
    return this.serially(async () => {
      await this.expire();
      const info = parseShowInfo(await this.api.worker('show info'));
      const pending = this.commits.pending();
      return {
        model: info.name,
        serialNumber: `${info.node}:${this.where.config}`,
        firmware: info.version,
        configId: this.running().configId,
        uptimeSeconds: info.uptimeSeconds,
        pendingConfirm: pending === null ? null : Math.max(0, Math.ceil((pending.deadline - Date.now()) / 1000)),
      };
    });
  }

  readRunning(): Promise<Uint8Array> {
    return this.serially(async () => encodeRules(this.running().table));
  }

  counters(): Promise<CountersSnapshot> {
    return this.serially(async () => {
      await this.expire();
      const snapshot = countersFrom(await readStat(this.api), this.running().table, Date.now());
      this.noteStates(snapshot);
      return snapshot;
    });
  }

  /**
   * The whole table, applied live when only weights and states change (mode 'delta'), else by a
   * reload (mode 'full'). `bytes` is what went to the socket (live) or into the file (reload).
   */
  push(encoding: Uint8Array, options: PushOptions): Promise<PushResult> {
    return this.serially(async () => {
      const timeout = options.confirmTimeoutMs;
      if (!Number.isSafeInteger(timeout) || timeout < 0 || timeout > MAX_TIMER_MS) {
        throw new DriverError('refused', `confirm timeout must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, not ${timeout}`, 'badRequest');
      }
      let table;
      try {
        table = decodeRules(encoding);
      } catch (err) {
        if (err instanceof CodecError) throw new DriverError('refused', `the table to push is not a valid encoding: ${err.message}`, 'invalidConfig');
        throw err;
      }
      await this.expire();
      const started = performance.now();
      options.onProgress?.(0, encoding.length);
      const done = await this.commits.commit(table, timeout);
      options.onProgress?.(encoding.length, encoding.length);
      this.emit({ kind: 'commit', at: Date.now(), configId: done.configId, pendingConfirm: timeout > 0 });
      this.arm();
      return {
        configId: done.configId,
        previousConfigId: done.previousConfigId,
        mode: done.mode === 'live' ? 'delta' : 'full',
        bytes: done.bytes,
        seconds: (performance.now() - started) / 1000,
      };
    });
  }

  confirm(): Promise<{ configId: string }> {
    return this.serially(async () => {
      await this.expire();
      const done = await this.commits.confirm();
      this.arm();
      return done;
    });
  }

  rollback(steps: number): Promise<{ configId: string }> {
    return this.serially(async () => {
      if (!Number.isInteger(steps) || steps < 1 || steps > MAX_ROLLBACK_STEPS) {
        throw new DriverError('refused', `rollback steps must be 1..${MAX_ROLLBACK_STEPS}`, 'badRequest');
      }
      await this.expire();
      const done = await this.commits.rollback(steps);
      this.emit({ kind: 'rollback', at: Date.now(), configId: done.configId, reason: 'operator' });
      this.arm();
      return { configId: done.configId };
    });
  }

  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.queue.catch(() => undefined);
  }

  /** The running table, parsed again only when the file changed. */
  private running(): RunningConfig {
    const text = readText(this.where.config);
    if (this.parsed?.text !== text) this.parsed = { text, running: runningConfig(text, this.where.config) };
    return this.parsed.running;
  }

  /** Reverts a commit confirmed past its deadline; a failed revert is retried, never thrown at an unrelated operation. */
  private async expire(): Promise<void> {
    let reverted: ChangeOutcome | null;
    try {
      reverted = await this.commits.revertIfDue();
    } catch {
      this.arm(REVERT_RETRY_MS);
      return;
    }
    if (reverted !== null) this.emit({ kind: 'rollback', at: Date.now(), configId: reverted.configId, reason: 'confirm-timeout' });
    this.arm();
  }

  /** Sets the timer for the pending deadline (or `inMs`); none when nothing is pending. */
  private arm(inMs?: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    let delay = inMs;
    if (delay === undefined) {
      let pending;
      try {
        pending = this.commits.pending();
      } catch {
        pending = null;
      }
      if (pending === null) return;
      delay = Math.max(0, pending.deadline - Date.now()) + 10;
    }
    this.timer = setTimeout(() => void this.serially(() => this.expire()).catch(() => undefined), Math.min(delay, MAX_TIMER_MS));
    // The timer serves open drivers (a monitor, a server); it must not keep a finished CLI alive.
    this.timer.unref();
  }

  private noteStates(snapshot: CountersSnapshot): void {
    for (const s of snapshot.services) {
      for (const b of s.backends) {
        const key = `${s.name}\u0000${b.address}`;
        const up = b.state === 'up';
        const was = this.lastUp.get(key);
        this.lastUp.set(key, up);
        if (was !== undefined && was !== up) this.emit({ kind: 'backend-state', at: Date.now(), service: s.name, address: b.address, up });
      }
    }
  }

  private emit(e: ApplianceEvent): void {
    for (const l of this.listeners) l(e);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
