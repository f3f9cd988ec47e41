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

/** An appliance's readings in the order of its last poll, and their series ids. */
interface Layout {
  names: string[];
  /** names[0..counters) are counters, the rest gauges. */
  counters: number;
  ids: number[];
}

export class PollRecorder {
  private readonly previous = new Map<string, PollSample>();
  /**
   * Series ids by appliance, for as long as its snapshot keeps the same readings in the same
   * order (until its rule table changes): ids are then resolved without asking the store, and
   * the store need not keep a key index of a fleet's hundreds of thousands of series in memory.
   */
  private readonly layouts = new Map<string, Layout>();

  constructor(
    private readonly store: MetricStore,
    private readonly options: RateOptions,
  ) {}

  /** The points for one poll of one appliance (not yet written). */
  async record(input: PollInput): Promise<RecordedPoll> {
    const readings = snapshotReadings(input.appliance, input.snapshot);
    const sample: PollSample = { timeMs: input.timeMs, sysUpTime: input.sysUpTime, counters: readings.counters };
    if (input.discontinuity) sample.discontinuity = true;
    const previous = this.previous.get(input.appliance) ?? null;
    // The store keeps one sample per appliance and second: a second poll within the same second
    // is left out whole, and the next interval runs from the sample that was kept, so no
    // increase is lost between them.
    if (previous && Math.floor(previous.timeMs / 1000) === Math.floor(input.timeMs / 1000)) {
      return { points: [], interval: { seconds: 0, gap: 'clock', missedPolls: 0, counters: new Map() } };
    }
    const interval = computeDeltas(previous, sample, this.options);
    this.previous.set(input.appliance, sample);
    const counters = [...interval.counters];
    const gauges = [...readings.gauges];
    const names = [...counters.map(([name]) => name), ...gauges.map(([name]) => name)];
    let layout = this.layouts.get(input.appliance);
    if (!layout || layout.counters !== counters.length || !sameNames(layout.names, names)) {
      const ids = await this.store.seriesMany(
        names.map((name, i) => ({ key: readings.keys.get(name)!, kind: i < counters.length ? ('counter' as const) : ('gauge' as const) })),
      );
      layout = { names, counters: counters.length, ids };
      this.layouts.set(input.appliance, layout);
    }
    const ids = layout.ids;
    const points: Point[] = [
      ...counters.map(([, d], i) => ({ series: ids[i]!, ts: input.timeMs, value: d.delta })),
      ...gauges.map(([, value], i) => ({ series: ids[counters.length + i]!, ts: input.timeMs, value })),
    ];
    return { points, interval };
  }

  /** Drop an appliance's previous sample (removed, or unreachable long enough to start over). */
  forget(appliance: string): void {
    this.previous.delete(appliance);
    this.layouts.delete(appliance);
  }
}

function sameNames(cached: readonly string[], names: readonly string[]): boolean {
  if (cached.length !== names.length) return false;
  for (let i = 0; i < names.length; i++) if (cached[i] !== names[i]) return false;
  return true;
}
