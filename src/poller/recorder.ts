/**
 * Polls → store points. Keeps each appliance's previous sample, applies the rate rules
 * (rates.ts) and turns every counter into a delta or a null gap marker. The marker matters: the
 * store reads a delta as the increase since the series' previous point, so a baseline or a
 * reset must leave a point behind for the next delta to start from.
 *
 * The poller gathers the points of a whole cycle (many appliances) and writes them with one
 * `MetricStore.write`, one transaction.
 */
import type { CountersSnapshot } from '../protocol/counters.js';
import type { MetricStore, Point } from '../store/metric-store.js';
import { computeDeltas, type IntervalResult, type PollSample, type RateOptions } from './rates.js';
import { snapshotReadings } from './snapshot.js';

export interface PollInput {
  appliance: string;
  /** When the reply arrived, ms (also the stored sample time). */
  timeMs: number;
  /** sysUpTime, centiseconds. */
  sysUpTime: number;
  discontinuity?: boolean;
  snapshot: CountersSnapshot;
}

export interface RecordedPoll {
  points: Point[];
  interval: IntervalResult;
}

export class PollRecorder {
  private readonly previous = new Map<string, PollSample>();

  constructor(
    private readonly store: MetricStore,
    private readonly options: RateOptions,
  ) {}

  /** The points for one poll of one appliance (not yet written). */
  record(input: PollInput): RecordedPoll {
    const readings = snapshotReadings(input.appliance, input.snapshot);
    const sample: PollSample = { timeMs: input.timeMs, sysUpTime: input.sysUpTime, counters: readings.counters };
    if (input.discontinuity) sample.discontinuity = true;
    const interval = computeDeltas(this.previous.get(input.appliance) ?? null, sample, this.options);
    this.previous.set(input.appliance, sample);
    const counters = [...interval.counters];
    const gauges = [...readings.gauges];
    const ids = this.store.seriesMany([
      ...counters.map(([name]) => ({ key: readings.keys.get(name)!, kind: 'counter' as const })),
      ...gauges.map(([name]) => ({ key: readings.keys.get(name)!, kind: 'gauge' as const })),
    ]);
    const points: Point[] = [
      ...counters.map(([, d], i) => ({ series: ids[i]!, ts: input.timeMs, value: d.delta })),
      ...gauges.map(([, value], i) => ({ series: ids[counters.length + i]!, ts: input.timeMs, value })),
    ];
    return { points, interval };
  }

  /** Drop an appliance's previous sample (removed, or unreachable long enough to start over). */
  forget(appliance: string): void {
    this.previous.delete(appliance);
  }
}
