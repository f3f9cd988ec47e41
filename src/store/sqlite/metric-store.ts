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
import { FrameWriter } from '../frame-codec.js';
import {
  checkRetention,
  groupPoints,
  packBucket,
  packRawFrame,
  queryRange,
  rawPoints,
  replayFrames,
  resolutionWidth,
  rollupGrid,
  rollupPoints,
  seriesResults,
  type FrameGroup,
} from '../metric-frames.js';
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
import { ApplianceRollup, bucketOf, HOUR, MINUTE, type Bucket } from '../rollup.js';
import { SeriesDictionary, type ApplianceInfo, type SeriesInfo } from './series-dictionary.js';

export interface SqliteMetricStoreOptions {
  retention?: Partial<Retention>;
  /** close() also closes the database. */
  ownsDatabase?: boolean;
}

interface FrameRow {
  ts: number;
  data: Buffer;
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
    const groups = groupPoints(points, (id) => this.dictionary.info(id));
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

  /** Store one frame and fold it into the rollups; returns how many points it kept. */
  private writeFrame(g: FrameGroup<ApplianceInfo>): number {
    const rollup = this.rollupOf(g.appliance);
    if (g.ts <= rollup.lastTs) return 0;
    const { bytes, slots, numbers } = packRawFrame(this.frame, g);
    if (this.sql.insertRaw.run(g.appliance.id, g.ts, bytes).changes === 0) {
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
    (bucket.width === MINUTE ? this.sql.put1m : this.sql.put1h).run(appliance.id, bucket.start, packBucket(this.bucketFrame, appliance.kinds, bucket));
  }

  /** The appliance's rollup state, rebuilt from the raw frames of its open hour when not in memory. */
  private rollupOf(appliance: ApplianceInfo): ApplianceRollup {
    if (appliance.rollup) return appliance.rollup;
    const rollup = new ApplianceRollup(appliance.kinds);
    const last = this.sql.lastRaw.get(appliance.id)!.ts;
    // Buckets closed during the replay are already on disk: nothing to emit.
    if (last !== null) replayFrames(rollup, this.sql.rawSince.iterate({ appliance: appliance.id, from: bucketOf(last, HOUR) }), () => {});
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
    const { fromS, toS } = queryRange(from, to, resolution);
    const infos = this.dictionary.find(appliance, keys);
    const points = resolution === 'raw' ? this.rawSeries(infos, fromS, toS) : this.rollupSeries(infos, fromS, toS, resolutionWidth(resolution));
    return seriesResults(appliance, keys, infos, resolution, points);
  }

  /** The raw points of series of one appliance (null: unknown, no points), in one scan of its frames. */
  private rawSeries(infos: ReadonlyArray<SeriesInfo | null>, fromS: number, toS: number): SeriesPoint[][] {
    const first = infos.find((i) => i !== null);
    if (!first || fromS > toS) return infos.map(() => []);
    return rawPoints(infos, this.sql.rawRange.iterate({ appliance: first.appliance.id, from: fromS, to: toS }), fromS);
  }

  /** The rollup points of series of one appliance (null: unknown, no points), in one scan of its bucket frames. */
  private rollupSeries(infos: ReadonlyArray<SeriesInfo | null>, fromS: number, toS: number, width: number): SeriesPoint[][] {
    const first = infos.find((i) => i !== null);
    if (!first) return infos.map(() => []);
    const grid = rollupGrid(fromS, toS, width);
    if (!grid) return infos.map(() => []);
    // The open bucket is only in memory (and complete there). Rebuilt (if need be) before the
    // stored buckets are read, so no other statement runs while their iterator is open.
    const rollup = this.rollupOf(first.appliance);
    const range = width === MINUTE ? this.sql.range1m : this.sql.range1h;
    return rollupPoints(infos, range.iterate(first.appliance.id, grid.first, grid.last), width === MINUTE ? rollup.minute : rollup.hour, grid, width);
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
