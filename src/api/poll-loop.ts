/**
 * The agent's polling while it serves the API: the Monitor over the inventory every interval
 * (counters into the store, as `fulcrum monitor` does), through the shared driver pool, with
 * each appliance's identity read alongside its counters so the API knows reachability, config
 * id, firmware and pending confirms. After each cycle the fleet state is published to the live
 * stream, and what changed between polls is kept as events. On a SQLite file one poller per
 * store: a cycle runs only while this process holds the store's poller lease (src/poller/lease.ts);
 * while another poller holds it, cycles are skipped until it stops, and then this one takes over.
 * On a shared server store this agent polls only the appliances it holds a lease for
 * (src/poller/ownership/), each write fenced by that lease.
 */
import { Monitor } from '../poller/monitor.js';
import type { CountersSnapshot } from '../protocol/counters.js';
import type { AgentStore, Fence } from '../store/index.js';
import type { MetricStore } from '../store/metric-store.js';
import type { ApplianceRecord } from '../store/inventory.js';
import type { DriverPool } from '../provision/driver-pool.js';
import { hasPoll, PooledDriver } from '../provision/pooled-driver.js';
import type { FleetEvent, FleetState } from './fleet-state.js';
import { describeError } from '../protocol/describe-error.js';
import { describeHolder, leaseMsFor, PollerLease, startWhenDue } from '../poller/lease.js';
import { AgentMembership, ownershipTtlFor } from '../poller/ownership/membership.js';

/** What the loop reports to (the live stream, the event log, /metrics). */
export interface PollObserver {
  /** `fence`: on a shared store, the lease the events are written under. */
  onEvents(events: FleetEvent[], fence?: Fence): Promise<void>;
  onPoll(appliance: string, seconds: number, ok: boolean): void;
  onCycle(seconds: number, names: string[]): void;
  /** An appliance left the inventory. */
  onRemoved(appliance: string): void;
}

export interface PollLoopOptions {
  store: AgentStore;
  /** Where the poller's points go; default `store.metrics`. */
  metrics?: MetricStore;
  /** Run once the last cycle ended, before the leases are let go: sends what `metrics` still queues (src/poller/remote-write/). */
  flush?: () => Promise<unknown>;
  fleet: FleetState;
  drivers: DriverPool;
  intervalMs: number;
  observer: PollObserver;
  log?: { warn(obj: object, msg: string): void };
  /** On a shared server store: this agent's site and capacity. */
  sharing?: { site?: string; capacity?: number; apiUrl?: () => string | null };
}

const PRUNE_EVERY_MS = 3_600_000;

export class PollLoop {
  private readonly monitor: Monitor;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Aborted by stop(): the cycle in flight starts no further polls. */
  private readonly stopping = new AbortController();
  private lastPrune = Date.now();
  private readonly lease: PollerLease;
  private readonly shared: AgentMembership | null;
  /** The lease of the cycle in flight on a shared store: every write of the cycle carries it. */
  private fence: Fence | undefined = undefined;
  private joined = false;
  /** The holder last reported as polling instead of this process. */
  private standingBy: string | null = null;
  /** The inventory as of this cycle: an appliance re-added under the same name is polled where it is now. */
  private records = new Map<string, ApplianceRecord>();

  constructor(private readonly options: PollLoopOptions) {
    this.lease = new PollerLease(options.store.pollerLease, { command: 'fulcrum serve', leaseMs: leaseMsFor(options.intervalMs) });
    this.shared = options.store.ownership
      ? new AgentMembership(options.store.ownership, {
          command: 'fulcrum serve',
          ttlMs: ownershipTtlFor(options.intervalMs),
          ...(options.log ? { log: options.log } : {}),
          ...options.sharing,
        })
      : null;
    this.monitor = new Monitor(options.metrics ?? options.store.metrics, {
      intervalMs: options.intervalMs,
      connect: async (record) =>
        new PolledAppliance(
          () => this.records.get(record.name) ?? record,
          this.options,
          () => this.fence,
        ),
      onPollFailed: async (appliance, err) => {
        const message = describeError(err);
        options.log?.warn({ appliance, err: message }, 'poll failed');
        options.observer.onPoll(appliance, 0, false);
        await options.observer.onEvents(options.fleet.failed(appliance, message, Date.now()), this.fence);
        await options.store.applianceState.failed(appliance, Date.now(), message, this.fence);
      },
    });
  }

  /** Polls now, then every interval, until stop(). */
  start(): void {
    if (this.running || this.stopped) return;
    this.schedule(0);
  }

  /** Waits for the cycle in flight, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    // While the appliances are still this agent's: the next owner's newer samples must not land first.
    await this.options.flush?.();
    if (this.shared) await this.shared.leave();
    else await this.lease.release();
    await this.monitor.close();
  }

  /** This agent's id on a shared store (what the others see as an appliance's owner); null on the SQLite file. */
  get agentId(): string | null {
    return this.shared?.id ?? null;
  }

  /** One cycle over the whole inventory (also what the timer runs). */
  async cycle(): Promise<void> {
    if (this.shared) return this.sharedCycle(this.shared);
    const held = await this.lease.hold();
    if (!held.ok) {
      if (this.standingBy !== held.holder.holder)
        this.options.log?.warn({ holder: held.holder }, `standing by: this store is polled by ${describeHolder(held.holder)}; polling starts when it stops`);
      this.standingBy = held.holder.holder;
      return;
    }
    if (this.standingBy) this.options.log?.warn({}, 'took over polling this store');
    this.standingBy = null;
    if (held.fresh && !(await startWhenDue(held, this.stopping.signal))) return;
    const started = performance.now();
    const appliances = await this.options.store.inventory.list();
    this.dropRemoved(appliances);
    await this.monitor.cycle(appliances, this.stopping.signal);
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      await this.options.store.prune();
      this.lastPrune = Date.now();
    }
    this.options.observer.onCycle(
      (performance.now() - started) / 1000,
      appliances.map((a) => a.name),
    );
  }

  /** A cycle over the appliances this agent holds a lease for, under that lease's fence. */
  private async sharedCycle(shared: AgentMembership): Promise<void> {
    if (!this.joined) {
      await shared.start();
      this.joined = true;
    }
    const { fence } = await shared.turn();
    this.fence = fence;
    const started = performance.now();
    const all = await this.options.store.inventory.list();
    this.dropRemoved(all);
    const owned = all.filter((a) => fence.epochs.has(a.name));
    try {
      await this.monitor.cycle(owned, this.stopping.signal, fence);
    } finally {
      shared.cycleDone(performance.now() - started);
    }
    this.options.observer.onCycle(
      (performance.now() - started) / 1000,
      owned.map((a) => a.name),
    );
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const begun = Date.now();
      this.running = this.cycle()
        .catch((err: unknown) => this.options.log?.warn({ err: describeError(err) }, 'poll cycle failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - begun)));
        });
    }, delayMs);
  }

  private dropRemoved(appliances: readonly ApplianceRecord[]): void {
    const records = new Map(appliances.map((a) => [a.name, a]));
    for (const name of this.records.keys()) {
      if (records.has(name)) continue;
      this.options.fleet.forget(name);
      this.options.observer.onRemoved(name);
    }
    this.records = records;
  }
}

/**
 * An appliance as the Monitor polls it while the API serves: a pooled driver whose poll also
 * reads identity and lands in the fleet state.
 */
class PolledAppliance extends PooledDriver {
  constructor(
    current: () => ApplianceRecord,
    private readonly options: PollLoopOptions,
    private readonly fence: () => Fence | undefined,
  ) {
    super(options.drivers, current);
  }

  override poll(): Promise<{ sysUpTime: number; at: number; snapshot: CountersSnapshot }> {
    const record = this.current();
    return this.options.drivers.use(record, async (d) => {
      const started = performance.now();
      const info = await d.info();
      const infoAt = Date.now();
      // The sample is timed when sysUpTime was read, not when the poll ended: retries after it must not look like a reboot.
      const {
        sysUpTime,
        snapshot,
        at = infoAt,
      } = hasPoll(d) ? await d.poll() : { sysUpTime: info.uptimeSeconds * 100, snapshot: await d.counters(), at: infoAt };
      const pollMs = performance.now() - started;
      this.options.observer.onPoll(record.name, pollMs / 1000, true);
      await this.options.observer.onEvents(
        await this.options.fleet.observe(record.name, { timeMs: Date.now(), pollMs, info, sysUpTime, snapshot }),
        this.fence(),
      );
      // What `fulcrum appliance list` shows from the store, as `fulcrum monitor` records it too.
      await this.options.store.applianceState.observed(record.name, infoAt, info, this.fence());
      return { sysUpTime, at, snapshot };
    });
  }
}
