/**
 * The lease on a rollout: at most one process runs it at a time, and a process that died
 * mid-rollout (killed, crashed, power cut) does not keep it locked.
 *
 * The runner writes its host, pid and a random token into the rollout's row and renews a
 * heartbeat while it runs. Another process may take the rollout over when the holder is gone:
 * on the same host, as soon as its pid no longer exists; anywhere, once its heartbeat is older
 * than the lease. Running one rollout twice at once would upload to the same console port from
 * two processes and record one run's interference as the other's failures.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pidExists } from '../../store/pid-exists.js';
import type { RunnerRecord, RolloutStore } from '../../store/rollouts.js';
import { RolloutError } from './errors.js';

export const DEFAULT_LEASE_MS = 30_000;

/** Whether the lease holder may still be running the rollout at `now`. */
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

/** A held lease; renewed in the background until released. */
export class RolloutLease {
  private timer: NodeJS.Timeout | null = null;
  private lostListener: (() => void) | null = null;
  private isLost = false;

  private constructor(
    private readonly store: RolloutStore,
    readonly rollout: number,
    readonly token: string,
    private readonly now: () => number,
  ) {}

  /** Takes the lease on `rollout`, or throws RolloutError('busy') naming the live holder. */
  static async acquire(store: RolloutStore, rollout: number, options: LeaseOptions = {}): Promise<RolloutLease> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const now = options.now ?? Date.now;
    const record = await store.get(rollout);
    if (!record) throw new RolloutError('notFound', `no rollout ${rollout} (fulcrum rollout list)`);
    const holder = record.runner;
    // Heartbeats are compared on the store's clock (a server's, when runners sit on several machines), unless a test sets one.
    const at = options.now ? now() : await store.clock();
    if (holder && runnerAlive(holder, at, leaseMs)) throw busy(rollout, holder, at);
    const me: RunnerRecord = { token: randomBytes(12).toString('hex'), host: hostname(), pid: process.pid, heartbeat: now() };
    // Conditional on the holder seen above: of two processes taking over at once, one wins.
    if (!(await store.claimRunner(rollout, me, holder?.token ?? null))) {
      const winner = (await store.get(rollout))?.runner;
      throw winner ? busy(rollout, winner, at) : new RolloutError('busy', `rollout ${rollout} was taken by another process just now`);
    }
    const lease = new RolloutLease(store, rollout, me.token, now);
    lease.timer = setInterval(() => void lease.beat(), options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3)));
    // The heartbeat must not keep a finished process alive.
    lease.timer.unref();
    return lease;
  }

  get lost(): boolean {
    return this.isLost;
  }

  /** Called once if another process takes the rollout over while this lease is held. */
  onLost(listener: () => void): void {
    this.lostListener = listener;
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.isLost) await this.store.releaseRunner(this.rollout, this.token);
  }

  private async beat(): Promise<void> {
    let held: boolean;
    try {
      held = await this.store.heartbeat(this.rollout, this.token, this.now());
    } catch {
      // The store is busy or briefly unreachable: the next beat tries again, well within the lease.
      return;
    }
    if (held || this.timer === null) return;
    this.isLost = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lostListener?.();
  }
}

function busy(rollout: number, holder: RunnerRecord, now: number): RolloutError {
  const ago = Math.max(0, Math.round((now - holder.heartbeat) / 1000));
  return new RolloutError(
    'busy',
    `rollout ${rollout} is being run by process ${holder.pid} on ${holder.host} (last heard from ${ago} s ago): wait for it to end, or pause it with \`fulcrum rollout pause ${rollout}\``,
  );
}
