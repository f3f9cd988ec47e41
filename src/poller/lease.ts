/**
 * One poller per store: the lease `fulcrum monitor` and `fulcrum serve` take before polling
 * (the row is src/store/poller-lease.ts). The holder renews it every cycle and, during a long
 * cycle, from a heartbeat; it is free once released (SIGTERM/SIGINT release it at once), once
 * past its expiry, or — on the holder's own host — as soon as the holder's pid is gone, so a
 * killed poller does not make the next one wait out the lease.
 *
 * A new holder starts polling in the second after it took the lease: the store keeps one frame
 * per appliance and second (the first written), so a first poll in the second of the previous
 * holder's last would be dropped — and with it the new holder's baseline, the gap marker that
 * says no rate spans the handover.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pidExists } from '../store/pid-exists.js';
import type { PollerHolder, PollerLeaseStore } from '../store/poller-lease.js';

const MIN_LEASE_MS = 30_000;

/** Long enough that two missed renewals at this interval still leave it held. */
export function leaseMsFor(intervalMs: number): number {
  return Math.max(MIN_LEASE_MS, 3 * intervalMs);
}

/** Whether `h` may still be polling at `now`. */
export function holderAlive(h: PollerHolder, now: number, host = hostname()): boolean {
  if (h.expires <= now) return false;
  return h.host !== host || pidExists(h.pid);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** "pid 4242 on lb-agent-1 (fulcrum monitor, since 2025-06-15T10:00:00Z)". */
export function describeHolder(h: PollerHolder): string {
  return `pid ${h.pid} on ${h.host} (${h.command}, since ${iso(h.since)})`;
}

/** `startAt`: when polling may begin — now on a renewal, the next whole second on a new claim. */
export type HoldResult = { ok: true; fresh: boolean; startAt: number } | { ok: false; holder: PollerHolder; lost: boolean };

/** The first millisecond of the second after `ms`. */
export function nextSecond(ms: number): number {
  return (Math.floor(ms / 1000) + 1) * 1000;
}

export interface PollerLeaseOptions {
  command: string;
  leaseMs: number;
  now?: () => number;
  host?: string;
}

export class PollerLease {
  readonly id = randomBytes(12).toString('hex');
  private held = false;
  private since = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly host: string;

  constructor(
    private readonly rows: PollerLeaseStore,
    private readonly options: PollerLeaseOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.host = options.host ?? hostname();
  }

  /** The live holder other than this process's lease, if any. */
  async other(): Promise<PollerHolder | null> {
    const h = await this.rows.holder();
    return h && h.holder !== this.id && holderAlive(h, this.now(), this.host) ? h : null;
  }

  /** Takes the lease, or renews it when held; called before every cycle. */
  async hold(): Promise<HoldResult> {
    const now = this.now();
    const wasHeld = this.held;
    if (this.held && (await this.rows.renew(this.id, now + this.options.leaseMs))) return { ok: true, fresh: false, startAt: now };
    this.held = false;
    this.since = now;
    const me: PollerHolder = {
      holder: this.id,
      pid: process.pid,
      host: this.host,
      command: this.options.command,
      since: this.since,
      expires: now + this.options.leaseMs,
    };
    const other = await this.rows.claim(me, (h) => holderAlive(h, now, this.host));
    if (other) return { ok: false, holder: other, lost: wasHeld };
    this.held = true;
    this.startHeartbeat();
    return { ok: true, fresh: true, startAt: nextSecond(now) };
  }

  /** Frees the lease for the next poller at once. Safe to call more than once, and on a closed store. */
  async release(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (!this.held) return;
    this.held = false;
    try {
      await this.rows.release(this.id);
    } catch {
      // The store is already closed or unwritable: the lease expires by itself.
    }
  }

  /** A cycle longer than the lease must not let a standby start polling beside it. */
  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(
      () => {
        if (!this.held) return;
        this.rows.renew(this.id, this.now() + this.options.leaseMs).then(
          (kept) => {
            if (!kept) this.held = false;
          },
          // Busy file or a lost connection: the next beat, well within the lease, tries again.
          () => undefined,
        );
      },
      Math.max(1, Math.floor(this.options.leaseMs / 3)),
    );
    // The heartbeat must not keep a finished process alive.
    this.heartbeat.unref();
  }
}

/**
 * Waits until `lease` is taken (true) or `signal` aborts (false), trying every `everyMs`;
 * `onWaiting` hears the holder once per holder.
 */
export async function waitForLease(lease: PollerLease, signal: AbortSignal, onWaiting: (holder: PollerHolder) => void, everyMs = 500): Promise<boolean> {
  let told: string | null = null;
  while (!signal.aborted) {
    const r = await lease.hold();
    if (r.ok) return startWhenDue(r, signal);
    if (r.holder.holder !== told) onWaiting(r.holder);
    told = r.holder.holder;
    await sleep(everyMs, signal);
  }
  return false;
}

/** Waits for a new holder's first second (see the top); false when `signal` ended the wait. */
export async function startWhenDue(held: { startAt: number }, signal?: AbortSignal): Promise<boolean> {
  await sleep(held.startAt - Date.now(), signal);
  return !signal?.aborted;
}

/** setTimeout as a promise that a signal ends early (resolving, not rejecting). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
