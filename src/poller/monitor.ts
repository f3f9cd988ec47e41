import type { ApplianceDriver } from '../../drivers/driver.js';
import type { Fence } from '../store/ownership.js';
import type { CountersSnapshot } from '../protocol/counters.js';
import type { MetricStore, Point } from '../store/metric-store.js';
import type { ApplianceRecord } from '../store/inventory.js';
import type { PolledFrame } from '../../drivers/snmp/frame-poller.js';
import { PollRecorder } from './recorder.js';
import { FrameRecorder } from './frame-recorder.js';

type SnapshotPoll = { sysUpTime: number; at?: number; snapshot: CountersSnapshot };

/** A driver that can also give the appliance's uptime with its counters in one go (SNMP), perhaps as a frame of its layout. */
interface Pollable extends ApplianceDriver {
  poll?: () => Promise<SnapshotPoll>;
  pollFrame?: () => Promise<PolledFrame | SnapshotPoll>;
}

const FLUSH_POINTS = 10_000;

export interface MonitorOptions {
  intervalMs: number;
  /** Appliances polled at the same time. */
  concurrency?: number;
  connect: (record: ApplianceRecord) => Promise<Pollable>;
  onPollFailed?: (appliance: string, error: unknown) => void | Promise<void>;
}

export interface CycleSummary {
  polled: number;
  failed: number;
  points: number;
  ms: number;
  /** Points refused by the store's fence (a lease this agent no longer holds): only on a shared store. */
  fenced?: number;
}

/**
 * Polls every appliance of the inventory once per interval, concurrently, and lands its
 * points in the store in a few transactions per cycle. Drivers stay open between cycles; one that fails is
 * reopened next time. A missed poll needs no bookkeeping: the rate rules see the longer interval.
 */
export class Monitor {
  private readonly recorder: PollRecorder;
  private readonly frames: FrameRecorder;
  private readonly drivers = new Map<string, Pollable>();

  constructor(
    private readonly metrics: MetricStore,
    private readonly options: MonitorOptions,
  ) {
    this.recorder = new PollRecorder(metrics, { expectedIntervalMs: options.intervalMs });
    this.frames = new FrameRecorder(metrics, { expectedIntervalMs: options.intervalMs });
  }

  /** Polls `appliances` once; an aborted `signal` starts no further polls (those under way still land). */
  /** One cycle over `appliances`; with a `fence` (agents sharing a server store), each write goes under this agent's leases. */
  async cycle(appliances: readonly ApplianceRecord[], signal?: AbortSignal, fence?: Fence): Promise<CycleSummary> {
    const started = performance.now();
    let points: Point[] = [];
    let written = 0;
    let fenced = 0;
    let failed = 0;
    let polled = 0;
    // Points go to the store in batches of about FLUSH_POINTS, each one transaction: a whole
    // cycle of a big fleet held until its end would outlive the young generation and swell the
    // heap (1,000 appliances × 200 counters is 200k points), and a batch costs one commit.
    const flush = async () => {
      if (points.length === 0) return;
      const batch = points;
      points = [];
      // What the store kept: a point for a second already stored (another writer's) is not counted.
      const landed = await this.metrics.write(batch, fence);
      written += landed.written;
      fenced += landed.fenced ?? 0;
    };
    let next = 0;
    const worker = async () => {
      while (next < appliances.length && !signal?.aborted) {
        const record = appliances[next++]!;
        polled++;
        try {
          for (const p of await this.pollOne(record.name, await this.driver(record))) points.push(p);
          if (points.length >= FLUSH_POINTS) await flush();
        } catch (err) {
          failed++;
          await this.drop(record.name);
          await this.options.onPollFailed?.(record.name, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 64, appliances.length) }, worker));
    await flush();
    return { polled: polled - failed, failed, points: written, ms: performance.now() - started, ...(fence ? { fenced } : {}) };
  }

  /**
   * One appliance's points. The sample's time is when sysUpTime was read: a poll slowed by
   * retries after that must not look like a reboot. A frame goes through the frame recorder, a
   * snapshot through the other; each forgets what the other last saw of the appliance, so a
   * switch between the two starts from a baseline instead of counting an interval twice.
   */
  private async pollOne(appliance: string, driver: Pollable): Promise<Point[]> {
    const polled = driver.pollFrame ? await driver.pollFrame() : driver.poll ? await driver.poll() : await viaInfo(driver);
    if ('frame' in polled) {
      this.recorder.forget(appliance);
      return this.frames.record({ appliance, timeMs: polled.at, sysUpTime: polled.sysUpTime, layout: polled.layout, frame: polled.frame });
    }
    this.frames.forget(appliance);
    const { sysUpTime, snapshot, at } = polled;
    return (await this.recorder.record({ appliance, timeMs: at ?? Date.now(), sysUpTime, snapshot })).points;
  }

  async close(): Promise<void> {
    for (const name of [...this.drivers.keys()]) await this.drop(name);
  }

  private async driver(record: ApplianceRecord): Promise<Pollable> {
    let d = this.drivers.get(record.name);
    if (!d) {
      d = await this.options.connect(record);
      this.drivers.set(record.name, d);
    }
    return d;
  }

  private async drop(name: string): Promise<void> {
    const d = this.drivers.get(name);
    this.drivers.delete(name);
    await d?.close().catch(() => undefined);
  }
}

/** Drivers without a combined poll: uptime from identity, then the counters. */
export async function viaInfo(driver: ApplianceDriver): Promise<{ sysUpTime: number; at: number; snapshot: CountersSnapshot }> {
  const info = await driver.info();
  const at = Date.now();
  return { sysUpTime: info.uptimeSeconds * 100, at, snapshot: await driver.counters() };
}
