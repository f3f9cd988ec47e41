/**
 * The metric store as the poller and the API see it. Kept small and free of SQL so that a
 * server database can take SQLite's place (docs/design.md).
 *
 * Times cross this interface in ms since the epoch (as `Date.now()` gives them); the SQLite
 * store keeps whole seconds, so at most one sample per series per second.
 *
 * What a sample's value means:
 * - counter series: the increase since the series' previous point (a delta, integer, exact);
 *   null is a gap marker: nothing is known about the interval ending there. The poller writes
 *   a null at its first poll of a counter and after every reset, so every delta has a start.
 * - gauge series: the reading; null: no reading.
 */
import type { Fence } from './ownership.js';

export type SeriesKind = 'counter' | 'gauge';
export type Resolution = 'raw' | '1m' | '1h';

/** What a series measures. `service`/`backend` absent for appliance-wide counters. */
export interface SeriesKey {
  appliance: string;
  service?: string;
  backend?: string;
  counter: string;
}

export interface Point {
  /** A series id from `MetricStore.series()`. */
  series: number;
  /** Poll time, ms. */
  ts: number;
  value: number | bigint | null;
}

export interface WriteSummary {
  /** Points stored. */
  written: number;
  /** Points dropped because their series already had a point at or after that second. */
  stale: number;
  /** Points refused because the write's fence no longer held their appliance's lease (counted in neither of the above). */
  fenced?: number;
}

export interface SeriesQuery extends SeriesKey {
  /** Inclusive, ms. */
  from: number;
  /** Inclusive, ms. */
  to: number;
  resolution: Resolution;
}

/**
 * One point of a series. Raw: one per stored sample. Rollups: one per bucket on a regular grid,
 * `ts` the bucket's start, the bucket holding samples taken in (ts, ts + step] — a sample taken
 * exactly on the minute closes the minute before, where its counter increase happened.
 * For counters every figure is per second except `sum`; null everywhere means a gap.
 */
export interface SeriesPoint {
  ts: number;
  /** Counter: rate (raw: over the interval ending at ts; rollup: average over the time covered). Gauge: reading / mean. */
  value: number | null;
  /** Rollups: smallest sample rate or reading in the bucket (raw: = value). */
  min: number | null;
  /** Rollups: largest sample rate or reading in the bucket (raw: = value). */
  max: number | null;
  /** Counter: the increase (raw: the delta; rollup: sum of deltas). Gauge: the reading / sum of readings. */
  sum: number | null;
  /**
   * What `value` averages over, so points can be merged into coarser steps: for a counter the
   * seconds its known deltas cover (value = sum / n), for a gauge the readings; 0 for a gap.
   */
  n: number;
}

export interface SeriesResult {
  key: SeriesKey;
  kind: SeriesKind;
  resolution: Resolution;
  /** Grid step in ms for rollups; null for raw. */
  step: number | null;
  points: SeriesPoint[];
}

/** How long each resolution (and the event log) is kept, ms. */
export interface Retention {
  raw: number;
  minute: number;
  hour: number;
  events: number;
}

export const DEFAULT_RETENTION: Readonly<Retention> = {
  raw: 24 * 3600_000,
  minute: 30 * 24 * 3600_000,
  hour: 365 * 24 * 3600_000,
  events: 90 * 24 * 3600_000,
};

/** Sample frames deleted by a prune, per table. */
export interface SamplePruneSummary {
  raw: number;
  minute: number;
  hour: number;
}

export interface MetricStore {
  /** The id of a series, created on first use. Throws if it exists with another kind. */
  series(key: SeriesKey, kind: SeriesKind): Promise<number>;
  /** `series()` for many at once; what is new is created in one transaction. */
  seriesMany(requests: ReadonlyArray<{ key: SeriesKey; kind: SeriesKind }>): Promise<number[]>;
  /** Every series of an appliance, in creation order. */
  listSeries(appliance: string): Promise<Array<SeriesKey & { id: number; kind: SeriesKind }>>;
  /**
   * Store a batch (a whole poll cycle of many appliances) in one transaction. With a `fence`
   * (agents sharing a server store), an appliance's points land only while the fence's agent
   * holds its lease at the fence's epoch; a store with one poller has no leases and ignores it.
   */
  write(points: readonly Point[], fence?: Fence): Promise<WriteSummary>;
  /** A series between two times; null if the series does not exist. */
  query(query: SeriesQuery): Promise<SeriesResult | null>;
  /** Several series of one appliance over one range, in the order of `keys` (null for an unknown one), in one pass over its frames. */
  queryMany(
    appliance: string,
    keys: readonly Omit<SeriesKey, 'appliance'>[],
    from: number,
    to: number,
    resolution: Resolution,
  ): Promise<Array<SeriesResult | null>>;
  /** Delete what is older than the retention, relative to `now` (ms, default the clock). */
  prune(now?: number): Promise<SamplePruneSummary>;
  /** Write open rollup buckets and release the database. */
  close(): Promise<void>;
}
