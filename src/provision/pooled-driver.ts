/**
 * An appliance as a poller sees it when its driver lives in a DriverPool: every call queues on
 * the pool with whatever else uses that appliance (the API's requests, a CLI command through the
 * control socket), and closing it closes nothing — the pool owns the driver and drops it by
 * itself when the appliance stops answering.
 */
import type { ApplianceDriver, ApplianceInfo, CommitNoteText, PushOptions } from '../../drivers/driver.js';
import type { CountersSnapshot } from '../protocol/counters.js';
import type { ApplianceRecord } from '../store/inventory.js';
import type { DriverPool } from './driver-pool.js';

/** A driver that can give the appliance's uptime with its counters in one go (SNMP). */
export interface Pollable {
  poll(): Promise<{ sysUpTime: number; at?: number; snapshot: CountersSnapshot }>;
}

export const hasPoll = (d: ApplianceDriver): d is ApplianceDriver & Pollable => typeof (d as Partial<Pollable>).poll === 'function';

export class PooledDriver implements ApplianceDriver {
  constructor(
    protected readonly pool: DriverPool,
    /** The appliance's record now: a changed target or credentials reopen the driver. */
    protected readonly current: () => ApplianceRecord,
  ) {}

  get target(): string {
    return this.current().target;
  }

  /** Uptime and counters in one queued operation, so nothing runs between the two reads. */
  poll(): Promise<{ sysUpTime: number; at: number; snapshot: CountersSnapshot }> {
    return this.pool.use(this.current(), async (d) => {
      if (hasPoll(d)) {
        const { sysUpTime, at = Date.now(), snapshot } = await d.poll();
        return { sysUpTime, at, snapshot };
      }
      const info = await d.info();
      const at = Date.now();
      return { sysUpTime: info.uptimeSeconds * 100, at, snapshot: await d.counters() };
    });
  }

  info(): Promise<ApplianceInfo> {
    return this.pool.use(this.current(), (d) => d.info());
  }

  readRunning(): Promise<Uint8Array> {
    return this.pool.use(this.current(), (d) => d.readRunning());
  }

  push(encoding: Uint8Array, options: PushOptions) {
    return this.pool.use(this.current(), (d) => d.push(encoding, options));
  }

  confirm() {
    return this.pool.use(this.current(), (d) => d.confirm());
  }

  rollback(steps: number, note?: CommitNoteText) {
    return this.pool.use(this.current(), (d) => d.rollback(steps, note));
  }

  counters(): Promise<CountersSnapshot> {
    return this.pool.use(this.current(), (d) => d.counters());
  }

  onEvent(): () => void {
    // The pool subscribes to the real driver's events once, for the whole agent.
    return () => undefined;
  }

  async close(): Promise<void> {}
}
