/**
 * MetricStore on better-sqlite3. Layout (see database.ts for the DDL):
 * - the dictionary (series-dictionary.ts): (appliance, service, backend, counter) → series id,
 *   and within its appliance a small `slot` number;
 * - `sample_raw`: one row per appliance per poll, `(appliance, ts, frame)`, the frame packing
 *   every slot's value (frame-codec.ts): counter deltas, gauge readings, null gap markers;
 * - `sample_1m`, `sample_1h`: the same shape, frames of per-slot aggregates (rollup.ts),
 *   written when a bucket closes. The open buckets live in memory; after a restart they are
 *   rebuilt from the raw frames of the open hour the first time the appliance is touched, so a
 *   crash loses nothing that reached the raw table.
 */
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from '../database.js';
import { FrameReader, FrameWriter } from '../frame-codec.js';
import {
  DEFAULT_RETENTION,
  type MetricStore,
  type Point,
  type Resolution,
  type Retention,
  type SamplePruneSummary,
  type SeriesKey,
  type SeriesKind,
  type SeriesPoint,
  type SeriesQuery,
  type SeriesResult,
  type WriteSummary,
} from '../metric-store.js';
import { ApplianceRollup, bucketOf, HOUR, KIND_COUNTER, KIND_GAUGE, MINUTE, type Aggregate, type Bucket } from '../rollup.js';
import { keyOf, kindName, SeriesDictionary, type ApplianceInfo, type SeriesInfo } from './series-dictionary.js';

/** The points of one appliance at one second: one raw frame. */
interface Group {
  appliance: ApplianceInfo;
  ts: number;
  slots: number[];
  values: Array<number | bigint | null>;
}

export interface SqliteMetricStoreOptions {
  retention?: Partial<Retention>;
  /** close() also closes the database. */
  ownsDatabase?: boolean;
}

interface FrameRow {
  ts: number;
  data: Buffer;
}

const MAX_GRID_POINTS = 200_000;
const TWO_64 = 1n << 64n;

function checkRetention(r: Retention): Retention {
  for (const [name, ms] of Object.entries(r)) {
    if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`retention.${name} must be a positive number of ms, got ${String(ms)}`);
  }
  // The open hour's raw frames are what rebuilds the rollups after a restart.
  if (r.raw < HOUR * 1000) throw new RangeError(`retention.raw must be at least one hour (the open rollup hour is rebuilt from it), got ${r.raw} ms`);
  return r;
}

export class SqliteMetricStore implements MetricStore {
  readonly retention: Retention;
  private readonly dictionary: SeriesDictionary;
  private readonly frame = new FrameWriter();
  private readonly bucketFrame = new FrameWriter();
  private readonly sql: {
    insertRaw: Statement<[number, number, Buffer]>;
    put1m: Statement<[number, number, Buffer]>;
    put1h: Statement<[number, number, Buffer]>;
    lastRaw: Statement<[number], { ts: number | null }>;
    rawSince: Statement<{ appliance: number; from: number }, FrameRow>;
    rawRange: Statement<{ appliance: number; from: number; to: number }, FrameRow>;
    range1m: Statement<[number, number, number], FrameRow>;
    range1h: Statement<[number, number, number], FrameRow>;
    pruneRaw: Statement<[number, number]>;
    prune1m: Statement<[number, number]>;
    prune1h: Statement<[number, number]>;
  };
  private closed = false;

  /** Open (or create) the database file and a store on it that closes it on close(). */
  static open(file?: string, options: Omit<SqliteMetricStoreOptions, 'ownsDatabase'> = {}): SqliteMetricStore {
    const db = openDatabase(file);
    try {
      return new SqliteMetricStore(db, { ...options, ownsDatabase: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  constructor(
    readonly db: Db,
    private readonly options: SqliteMetricStoreOptions = {},
  ) {
    this.retention = checkRetention({ ...DEFAULT_RETENTION, ...options.retention });
    this.dictionary = new SeriesDictionary(db);
    this.sql = {
      // OR IGNORE: a frame already stored for that second (another process on the file) stands.
      insertRaw: db.prepare('INSERT OR IGNORE INTO sample_raw (appliance, ts, data) VALUES (?, ?, ?)'),
      put1m: db.prepare('INSERT OR REPLACE INTO sample_1m (appliance, ts, data) VALUES (?, ?, ?)'),
      put1h: db.prepare('INSERT OR REPLACE INTO sample_1h (appliance, ts, data) VALUES (?, ?, ?)'),
      lastRaw: db.prepare('SELECT max(ts) AS ts FROM sample_raw WHERE appliance = ?'),
      // From the last frame at or before `from` (where the first delta starts), through the end.
      rawSince: db.prepare(
        'SELECT ts, data FROM sample_raw WHERE appliance = @appliance AND ts >= coalesce((SELECT max(ts) FROM sample_raw WHERE appliance = @appliance AND ts <= @from), @from) ORDER BY ts',
      ),
      // The range plus the frame before it, which holds where the first delta starts.
      rawRange: db.prepare(
        'SELECT ts, data FROM sample_raw WHERE appliance = @appliance AND ts >= coalesce((SELECT max(ts) FROM sample_raw WHERE appliance = @appliance AND ts < @from), @from) AND ts <= @to ORDER BY ts',
      ),
      range1m: db.prepare('SELECT ts, data FROM sample_1m WHERE appliance = ? AND ts BETWEEN ? AND ? ORDER BY ts'),
      range1h: db.prepare('SELECT ts, data FROM sample_1h WHERE appliance = ? AND ts BETWEEN ? AND ? ORDER BY ts'),
      pruneRaw: db.prepare('DELETE FROM sample_raw WHERE appliance = ? AND ts < ?'),
      prune1m: db.prepare('DELETE FROM sample_1m WHERE appliance = ? AND ts < ?'),
      prune1h: db.prepare('DELETE FROM sample_1h WHERE appliance = ? AND ts < ?'),
    };
  }

  // ---- dictionary ----

  async series(key: SeriesKey, kind: SeriesKind): Promise<number> {
    return (await this.seriesMany([{ key, kind }]))[0]!;
  }

  async seriesMany(requests: ReadonlyArray<{ key: SeriesKey; kind: SeriesKind }>): Promise<number[]> {
    this.open();
    return this.dictionary.resolve(requests);
  }

  async listSeries(appliance: string): Promise<Array<SeriesKey & { id: number; kind: SeriesKind }>> {
    this.open();
    return this.dictionary.list(appliance);
  }

  // ---- samples ----

  async write(points: readonly Point[]): Promise<WriteSummary> {
    this.open();
    const groups = this.group(points);
    try {
      return this.db.transaction(() => {
        let written = 0;
        let stale = 0;
        for (const g of groups) {
          const n = this.writeFrame(g);
          written += n;
          stale += g.slots.length - n;
        }
        return { written, stale };
      })();
    } catch (error) {
      // The in-memory buckets may have run ahead of what was rolled back: rebuild them from disk.
      for (const g of groups) g.appliance.rollup = null;
      throw error;
    }
  }

  /** Validate every point and gather them into frames, before anything is written. */
  private group(points: readonly Point[]): Group[] {
    const groups = new Map<number, Group>();
    let current: Group | undefined;
    for (const p of points) {
      const info = this.dictionary.info(p.series);
      if (!(Number.isFinite(p.ts) && p.ts >= 0)) throw new RangeError(`series ${p.series}: time ${p.ts} is not a time in ms`);
      const value = p.value;
      if (value !== null) {
        if (info.kind === KIND_COUNTER) {
          const ok = typeof value === 'bigint' ? value >= 0n && value < TWO_64 : Number.isInteger(value) && value >= 0;
          if (!ok) throw new RangeError(`series ${p.series} is a counter: its value must be a non-negative integer delta or null, got ${String(value)}`);
        } else if (typeof value !== 'bigint' && !Number.isFinite(value)) {
          throw new RangeError(`series ${p.series}: gauge reading ${String(value)} is not a finite number`);
        }
      }
      const ts = Math.floor(p.ts / 1000);
      if (current === undefined || current.appliance !== info.appliance || current.ts !== ts) {
        const key = info.appliance.id * 2 ** 32 + ts;
        current = groups.get(key);
        if (!current) groups.set(key, (current = { appliance: info.appliance, ts, slots: [], values: [] }));
      }
      current.slots.push(info.slot);
      current.values.push(value);
    }
    return [...groups.values()].sort((a, b) => a.appliance.id - b.appliance.id || a.ts - b.ts);
  }

  /** Store one frame and fold it into the rollups; returns how many points it kept. */
  private writeFrame(g: Group): number {
    const rollup = this.rollupOf(g.appliance);
    if (g.ts <= rollup.lastTs) return 0;
    let { slots, values } = g;
    if (!isIncreasing(slots)) ({ slots, values } = sortBySlot(slots, values));
    const numbers = new Array<number | null>(slots.length);
    this.frame.reset();
    for (let i = 0; i < slots.length; i++) {
      const v = values[i]!;
      this.frame.slot(slots[i]!);
      this.frame.value(v);
      numbers[i] = v === null ? null : Number(v);
    }
    if (this.sql.insertRaw.run(g.appliance.id, g.ts, this.frame.bytes()).changes === 0) {
      // Someone else wrote this second (only one poller holds the lease, but a file may be
      // shared): their frame stands, these points are stale, and the rollups are rebuilt from
      // disk, where that frame is, the next time the appliance is touched.
      g.appliance.rollup = null;
      return 0;
    }
    rollup.add(g.ts, slots, numbers, slots.length, (bucket) => this.putBucket(g.appliance, bucket));
    return slots.length;
  }

  private putBucket(appliance: ApplianceInfo, bucket: Bucket): void {
    const w = this.bucketFrame;
    w.reset();
    bucket.forEach((slot, a) => {
      const lossy = appliance.kinds[slot] !== KIND_GAUGE;
      w.slot(slot);
      w.value(a.n);
      w.value(a.sum);
      w.value(a.min, lossy);
      w.value(a.max, lossy);
    });
    (bucket.width === MINUTE ? this.sql.put1m : this.sql.put1h).run(appliance.id, bucket.start, w.bytes());
  }

  /** The appliance's rollup state, rebuilt from the raw frames of its open hour when not in memory. */
  private rollupOf(appliance: ApplianceInfo): ApplianceRollup {
    if (appliance.rollup) return appliance.rollup;
    const rollup = new ApplianceRollup(appliance.kinds);
    const last = this.sql.lastRaw.get(appliance.id)!.ts;
    if (last !== null) {
      const slots: number[] = [];
      const values: Array<number | null> = [];
      for (const row of this.sql.rawSince.iterate({ appliance: appliance.id, from: bucketOf(last, HOUR) })) {
        slots.length = 0;
        values.length = 0;
        const r = new FrameReader(row.data);
        while (r.next()) {
          slots.push(r.slot);
          values.push(r.value());
        }
        // Buckets closed during the replay are already on disk: nothing to emit.
        rollup.add(row.ts, slots, values, slots.length, () => {});
      }
    }
    appliance.rollup = rollup;
    return rollup;
  }

  // ---- queries ----

  async query(q: SeriesQuery): Promise<SeriesResult | null> {
    return (await this.queryMany(q.appliance, [q], q.from, q.to, q.resolution))[0]!;
  }

  /**
   * Several series of one appliance at once: raw frames are read and decoded once for all of
   * them (a history of an appliance's ~200 series is one range scan, not 200). Unknown keys → null.
   */
  async queryMany(
    appliance: string,
    keys: readonly Omit<SeriesKey, 'appliance'>[],
    from: number,
    to: number,
    resolution: Resolution,
  ): Promise<Array<SeriesResult | null>> {
    this.open();
    if (!(Number.isFinite(from) && Number.isFinite(to))) throw new RangeError('query from/to must be times in ms');
    if (resolution !== 'raw' && resolution !== '1m' && resolution !== '1h') throw new RangeError(`unknown resolution ${String(resolution)}`);
    const infos = this.dictionary.find(appliance, keys);
    const fromS = Math.ceil(from / 1000);
    const toS = Math.floor(to / 1000);
    const width = resolution === '1m' ? MINUTE : HOUR;
    const points = resolution === 'raw' ? this.rawPoints(infos, fromS, toS) : infos.map((info) => (info ? this.rollupPoints(info, fromS, toS, width) : []));
    return infos.map((info, i) => {
      if (!info) return null;
      const k = keys[i]!;
      return {
        key: keyOf(appliance, k.service ?? '', k.backend ?? '', k.counter),
        kind: kindName(info.kind),
        resolution,
        step: resolution === 'raw' ? null : width * 1000,
        points: points[i]!,
      };
    });
  }

  /** The raw points of series of one appliance (null: unknown, no points), in one scan of its frames. */
  private rawPoints(infos: ReadonlyArray<SeriesInfo | null>, fromS: number, toS: number): SeriesPoint[][] {
    const points = infos.map(() => [] as SeriesPoint[]);
    const first = infos.find((i) => i !== null);
    if (!first || fromS > toS) return points;
    const previous = infos.map(() => Number.NaN);
    for (const row of this.sql.rawRange.iterate({ appliance: first.appliance.id, from: fromS, to: toS })) {
      infos.forEach((info, i) => {
        if (!info) return;
        const found = valueAt(row.data, info.slot, 1);
        if (found === undefined) return;
        if (row.ts >= fromS) {
          let value = found;
          // A counter's delta becomes a rate over the interval since the slot's previous sample;
          // with that sample gone (retention) or never written, the rate is unknown.
          let n = found === null ? 0 : 1;
          if (info.kind === KIND_COUNTER && found !== null) {
            n = Number.isNaN(previous[i]!) ? 0 : row.ts - previous[i]!;
            value = n === 0 ? null : found / n;
          }
          points[i]!.push({ ts: row.ts * 1000, value, min: value, max: value, sum: found, n });
        }
        previous[i] = row.ts;
      });
    }
    return points;
  }

  private rollupPoints(info: SeriesInfo, fromS: number, toS: number, width: number): SeriesPoint[] {
    const first = bucketOf(fromS, width);
    const last = bucketOf(toS, width);
    if (last < first) return [];
    if ((last - first) / width + 1 > MAX_GRID_POINTS) throw new RangeError(`query spans more than ${MAX_GRID_POINTS} buckets: use a coarser resolution`);
    const stored = new Map<number, Aggregate>();
    const range = width === MINUTE ? this.sql.range1m : this.sql.range1h;
    for (const row of range.iterate(info.appliance.id, first, last)) {
      const a = aggregateAt(row.data, info.slot);
      if (a) stored.set(row.ts, a);
    }
    // The open bucket is only in memory (and complete there).
    const rollup = this.rollupOf(info.appliance);
    const open = width === MINUTE ? rollup.minute : rollup.hour;
    if (open.start >= first && open.start <= last) {
      const a = open.get(info.slot);
      if (a) stored.set(open.start, a);
      else stored.delete(open.start);
    }
    const points: SeriesPoint[] = [];
    for (let b = first; b <= last; b += width) {
      const a = stored.get(b);
      points.push(
        a
          ? { ts: b * 1000, value: a.sum / a.n, min: a.min, max: a.max, sum: a.sum, n: a.n }
          : { ts: b * 1000, value: null, min: null, max: null, sum: null, n: 0 },
      );
    }
    return points;
  }

  // ---- retention ----

  async prune(now = Date.now()): Promise<SamplePruneSummary> {
    this.open();
    const cut = (ms: number) => Math.floor((now - ms) / 1000);
    return this.db.transaction(() => {
      const summary: SamplePruneSummary = { raw: 0, minute: 0, hour: 0 };
      // Per appliance, so each delete is a range of the primary key rather than a table scan.
      for (const id of this.dictionary.applianceIds()) {
        summary.raw += this.sql.pruneRaw.run(id, cut(this.retention.raw)).changes;
        summary.minute += this.sql.prune1m.run(id, cut(this.retention.minute)).changes;
        summary.hour += this.sql.prune1h.run(id, cut(this.retention.hour)).changes;
      }
      return summary;
    })();
  }

  // ---- lifecycle ----

  async close(): Promise<void> {
    if (this.closed) return;
    // Open buckets go to disk as they stand (replaced when they close), so queries after a
    // restart see them; their in-memory state is rebuilt from raw frames anyway.
    this.db.transaction(() => {
      for (const appliance of this.dictionary.loaded()) appliance.rollup?.flush((bucket) => this.putBucket(appliance, bucket));
    })();
    this.closed = true;
    if (this.options.ownsDatabase) this.db.close();
  }

  private open(): void {
    if (this.closed) throw new Error('the metric store is closed');
  }
}

function isIncreasing(slots: readonly number[]): boolean {
  for (let i = 1; i < slots.length; i++) if (slots[i]! <= slots[i - 1]!) return false;
  return true;
}

/** Slots in increasing order; of several points for one slot in one frame, the last wins. */
function sortBySlot(slots: readonly number[], values: ReadonlyArray<number | bigint | null>) {
  const latest = new Map<number, number | bigint | null>();
  slots.forEach((slot, i) => latest.set(slot, values[i]!));
  const sorted = [...latest.keys()].sort((a, b) => a - b);
  return { slots: sorted, values: sorted.map((s) => latest.get(s)!) };
}

/** The first field of `slot` in a frame whose entries have `fields` fields; undefined when absent. */
function valueAt(data: Uint8Array, slot: number, fields: number): number | null | undefined {
  const r = new FrameReader(data);
  while (r.next()) {
    if (r.slot === slot) return r.value();
    if (r.slot > slot) return undefined;
    r.skip(fields);
  }
  return undefined;
}

function aggregateAt(data: Uint8Array, slot: number): Aggregate | null {
  const r = new FrameReader(data);
  while (r.next()) {
    if (r.slot === slot) {
      const n = r.value();
      const sum = r.value();
      const min = r.value();
      const max = r.value();
      return n === null || sum === null || min === null || max === null ? null : { n, sum, min, max };
    }
    if (r.slot > slot) return null;
    r.skip(4);
  }
  return null;
}
