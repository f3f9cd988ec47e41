/**
 * The lease on a long run kept in the store (a rollout, a fleet push): at most one process runs
 * it at a time, and a process that died mid-run (killed, crashed, power cut) does not keep it
 * locked.
 *
 * The runner writes its host, pid and a random token into the run's row and renews a heartbeat
 * while it runs. Another process may take the run over when the holder is gone: on the same
 * host, as soon as its pid no longer exists; anywhere, once its heartbeat is older than the
 * lease. Heartbeats are compared on the store's clock (a server's, when runners sit on several
 * machines). Taking over is conditional on the holder that was seen, so of two processes taking
 * over at once exactly one wins.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pidExists } from './pid-exists.js';

/** The process that holds a run's lease. */
export interface RunnerRecord {
  /** Random, per run: tells two runs in one process apart. */
  token: string;
  host: string;
  pid: number;
  /** ms since the epoch, renewed while the run goes on. */
  heartbeat: number;
}

/** What a store keeping leased runs offers (RolloutStore and FleetPushStore both do). */
export interface LeasedRuns {
  get(id: number): Promise<{ runner: RunnerRecord | null } | null>;
  /** Takes the lease for `runner` if the current holder's token is `expected` (null: nobody). Whether it did. */
  claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean>;
  /** Renews the lease: false when `token` no longer holds it. */
  heartbeat(id: number, token: string, now?: number): Promise<boolean>;
  releaseRunner(id: number, token: string): Promise<void>;
  /** Now, on the clock heartbeats are kept in, ms. */
  clock(): Promise<number>;
}

export const DEFAULT_LEASE_MS = 30_000;

/** Whether the lease holder may still be running at `now`. */
export function runnerAlive(runner: RunnerRecord, now: number, leaseMs = DEFAULT_LEASE_MS, host = hostname()): boolean {
  if (now - runner.heartbeat > leaseMs) return false;
  return runner.host !== host || pidExists(runner.pid);
}

export interface LeaseOptions {
  /** How old a heartbeat may get before another process takes over. Default 30 s. */
  leaseMs?: number;
  /** Default: a third of the lease, so two missed beats still leave it valid. */
  heartbeatMs?: number;
  now?: () => number;
}

/** The errors of the kind of run leased: the caller's own, so its messages name its commands. */
export interface LeaseRefusals {
  notFound(id: number): Error;
  /** `holder`: the live holder (null when it is not known who won); `secondsAgo` since it was last heard from. */
  busy(id: number, holder: RunnerRecord | null, secondsAgo: number): Error;
}

/** A held lease; renewed in the background until released. */
export class RunnerLease {
  private timer: NodeJS.Timeout | null = null;
  private lostListener: (() => void) | null = null;
  private isLost = false;

  private constructor(
    private readonly store: LeasedRuns,
    readonly id: number,
    readonly token: string,
    /** The holder this lease replaced (its heartbeat had gone stale), null when it was free. */
    readonly replaced: RunnerRecord | null,
    private readonly now: () => number,
  ) {}

  /** Takes the lease on run `id`, or throws the caller's busy error naming the live holder. */
  static async acquire(store: LeasedRuns, id: number, refusals: LeaseRefusals, options: LeaseOptions = {}): Promise<RunnerLease> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const now = options.now ?? Date.now;
    const record = await store.get(id);
    if (!record) throw refusals.notFound(id);
    const holder = record.runner;
    // The store's clock unless a test sets one.
    const at = options.now ? now() : await store.clock();
    const ago = (r: RunnerRecord) => Math.max(0, Math.round((at - r.heartbeat) / 1000));
    if (holder && runnerAlive(holder, at, leaseMs)) throw refusals.busy(id, holder, ago(holder));
    const me: RunnerRecord = { token: randomBytes(12).toString('hex'), host: hostname(), pid: process.pid, heartbeat: now() };
    // Conditional on the holder seen above: of two processes taking over at once, one wins.
    if (!(await store.claimRunner(id, me, holder?.token ?? null))) {
      const winner = (await store.get(id))?.runner ?? null;
      throw refusals.busy(id, winner, winner ? ago(winner) : 0);
    }
    const lease = new RunnerLease(store, id, me.token, holder, now);
    lease.timer = setInterval(() => void lease.beat(), options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3)));
    // The heartbeat must not keep a finished process alive.
    lease.timer.unref();
    return lease;
  }

  get lost(): boolean {
    return this.isLost;
  }

  /** Called once if another process takes the run over while this lease is held. */
  onLost(listener: () => void): void {
    this.lostListener = listener;
  }

  /** Whether this lease is still held, asked of the store now (a fence before an irreversible act). */
  async held(): Promise<boolean> {
    if (this.isLost) return false;
    if (await this.store.heartbeat(this.id, this.token, this.now())) return true;
    this.markLost();
    return false;
  }

  /**
   * Stops renewing without giving the lease up: the run stops here and its lease goes stale, so
   * another process carries it on (a server closing in the middle of a run nobody else resumes).
   */
  abandon(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.isLost) await this.store.releaseRunner(this.id, this.token);
  }

  private async beat(): Promise<void> {
    let held: boolean;
    try {
      held = await this.store.heartbeat(this.id, this.token, this.now());
    } catch {
      // The store is busy or briefly unreachable: the next beat tries again, well within the lease.
      return;
    }
    if (held || this.timer === null) return;
    this.markLost();
  }

  private markLost(): void {
    if (this.isLost) return;
    this.isLost = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lostListener?.();
  }
}
