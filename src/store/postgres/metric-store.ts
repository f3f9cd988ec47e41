/**
 * MetricStore on PostgreSQL, with the SQLite store's layout and answers (the frame logic is
 * shared: metric-frames.ts):
 * - `sample_raw`: one row per appliance per poll, its frame packing every slot's value,
 *   partitioned by day (partitions.ts). A frame is inserted once and never rewritten; a second
 *   frame for the same (appliance, second) is refused (ON CONFLICT DO NOTHING) and its points
 *   count as stale.
 * - `sample_1m`, `sample_1h`: rollup frames written when their bucket closes. The open buckets
 *   live in memory; a clean close stores them as they stand (replaced once they close), and
 *   they are rebuilt from the raw frames of the open hour the first time the appliance is
 *   touched, writing any closed bucket a crash kept from the table (never replacing one).
 * A batch is one transaction: its frames and the buckets they close land together or not at all.
 */
import type { Fence } from '../ownership.js';
import { sqlState, type PgClient, type PgDb } from './connection.js';
import { RawPartitions } from './partitions.js';
import { PgSeriesDictionary, type PgApplianceInfo, type PgSeriesInfo } from './series-dictionary.js';
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
  type PackedFrame,
  type StoredFrame,
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

/** A row for the frame's partition not found: another agent dropped it after this one created it. */
const NO_PARTITION = '23514';

interface BucketRow {
  appliance: number;
  ts: number;
  data: Buffer;
}

export interface PgMetricStoreOptions {
  retention?: Partial<Retention>;
}

export class PgMetricStore implements MetricStore {
  readonly retention: Retention;
  private readonly dictionary: PgSeriesDictionary;
  private readonly partitions: RawPartitions;
  private readonly writer = new FrameWriter();
  private closed = false;

  constructor(
    private readonly db: PgDb,
    options: PgMetricStoreOptions = {},
  ) {
    this.retention = checkRetention({ ...DEFAULT_RETENTION, ...options.retention });
    this.dictionary = new PgSeriesDictionary(db);
    this.partitions = new RawPartitions(db);
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

  async write(points: readonly Point[], fence?: Fence): Promise<WriteSummary> {
    this.open();
    await this.dictionary.load(points.map((p) => p.series));
    const groups = groupPoints(points, (id) => this.dictionary.info(id));
    if (groups.length === 0) return { written: 0, stale: 0 };
    for (let attempt = 0; ; attempt++) {
      await this.partitions.ensure(groups.map((g) => g.ts));
      for (const appliance of new Set(groups.map((g) => g.appliance))) await this.rollupOf(appliance);
      try {
        return await this.db.transaction((client) => this.writeGroups(client, groups, fence));
      } catch (error) {
        // The in-memory buckets may have run ahead of what was rolled back: rebuild them from the table.
        for (const g of groups) g.appliance.rollup = null;
        if (sqlState(error) !== NO_PARTITION || attempt > 0) throw error;
        this.partitions.forget();
      }
    }
  }

  /** Inserts the groups' frames in one statement, then folds those that landed into the rollups. */
  private async writeGroups(client: PgClient, groups: ReadonlyArray<FrameGroup<PgApplianceInfo>>, fence?: Fence): Promise<WriteSummary> {
    const candidates: Array<{ group: FrameGroup<PgApplianceInfo>; frame: PackedFrame }> = [];
    let fenced = 0;
    const lastTs = new Map<PgApplianceInfo, number>();
    for (const g of groups) {
      // A frame at or before the appliance's last one is stale, as on SQLite.
      const last = lastTs.get(g.appliance) ?? g.appliance.rollup!.lastTs;
      if (g.ts <= last) continue;
      // Not this agent's appliance (any more): nothing is written for it, and its rollups are not touched.
      if (fence && !fence.epochs.has(g.appliance.name)) {
        fenced += g.slots.length;
        continue;
      }
      lastTs.set(g.appliance, g.ts);
      candidates.push({ group: g, frame: packRawFrame(this.writer, g) });
    }
    const landed = new Set<string>();
    if (candidates.length > 0) {
      // The fence is checked in the same statement as the insert, on the server's clock: a lease
      // that expired or moved while this agent was stopped refuses the frame.
      const inserted = await client.query<{ appliance: number; ts: number }>(
        `INSERT INTO sample_raw (appliance, ts, data)
         SELECT u.appliance, u.ts, u.data FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::text[], $5::bigint[]) AS u(appliance, ts, data, name, epoch)
         WHERE $6::text IS NULL OR EXISTS (SELECT 1 FROM appliance_leases l WHERE l.appliance = u.name AND l.agent = $6 AND l.epoch = u.epoch AND l.expires > now())
         ON CONFLICT (appliance, ts) DO NOTHING RETURNING appliance, ts`,
        [
          candidates.map((c) => c.group.appliance.id),
          candidates.map((c) => c.group.ts),
          candidates.map((c) => c.frame.bytes),
          candidates.map((c) => c.group.appliance.name),
          candidates.map((c) => fence?.epochs.get(c.group.appliance.name) ?? 0),
          fence?.agent ?? null,
        ],
      );
      for (const r of inserted.rows) landed.add(`${r.appliance}:${r.ts}`);
    }
    const buckets = new Map<string, BucketRow & { width: number }>();
    let written = 0;
    for (const { group, frame } of candidates) {
      const appliance = group.appliance;
      if (!landed.has(`${appliance.id}:${group.ts}`)) {
        if (fence) fenced += frame.slots.length;
        // Someone else wrote this second: their frame stands, and the rollups are rebuilt from
        // the table, where it is, the next time the appliance is touched.
        appliance.rollup = null;
        continue;
      }
      written += frame.slots.length;
      // Folded only while the rollups still follow the table (no refused frame before this one).
      appliance.rollup?.add(group.ts, frame.slots, frame.numbers, frame.slots.length, (bucket) => {
        buckets.set(`${bucket.width}:${appliance.id}:${bucket.start}`, this.bucketRow(appliance, bucket));
      });
    }
    await this.putBuckets(client, [...buckets.values()], 'replace');
    const total = groups.reduce((n, g) => n + g.slots.length, 0);
    return { written, stale: total - written - fenced, ...(fence ? { fenced } : {}) };
  }

  private bucketRow(appliance: PgApplianceInfo, bucket: Bucket): BucketRow & { width: number } {
    return { appliance: appliance.id, ts: bucket.start, data: packBucket(this.writer, appliance.kinds, bucket), width: bucket.width };
  }

  /** `replace`: a bucket that closed (or a clean close's open one); `keep`: one rebuilt from raw, which must not overwrite. */
  private async putBuckets(client: PgClient, rows: ReadonlyArray<BucketRow & { width: number }>, mode: 'replace' | 'keep'): Promise<void> {
    for (const width of [MINUTE, HOUR]) {
      const of = rows.filter((r) => r.width === width);
      if (of.length === 0) continue;
      const table = width === MINUTE ? 'sample_1m' : 'sample_1h';
      const conflict = mode === 'replace' ? 'DO UPDATE SET data = excluded.data' : 'DO NOTHING';
      await client.query(
        `INSERT INTO ${table} (appliance, ts, data) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) ON CONFLICT (appliance, ts) ${conflict}`,
        [of.map((r) => r.appliance), of.map((r) => r.ts), of.map((r) => r.data)],
      );
    }
  }

  /** The appliance's rollup state, rebuilt from the raw frames of its open hour when not in memory. */
  private async rollupOf(appliance: PgApplianceInfo): Promise<ApplianceRollup> {
    if (appliance.rollup) return appliance.rollup;
    const rollup = new ApplianceRollup(appliance.kinds);
    const last = (await this.db.query<{ ts: number | null }>('SELECT max(ts) AS ts FROM sample_raw WHERE appliance = $1', [appliance.id])).rows[0]?.ts ?? null;
    if (last !== null) {
      const frames = await this.rawFrames(appliance.id, bucketOf(last, HOUR), Number.MAX_SAFE_INTEGER, true);
      const closed: Array<BucketRow & { width: number }> = [];
      replayFrames(rollup, frames, (bucket) => closed.push(this.bucketRow(appliance, bucket)));
      await this.putBuckets(this.db, closed, 'keep');
    }
    appliance.rollup = rollup;
    return rollup;
  }

  /** Frames of one appliance in [from, to] plus the last one before `from` (where the first delta starts); `inclusive`: at or before. */
  private async rawFrames(appliance: number, from: number, to: number, inclusive: boolean): Promise<StoredFrame[]> {
    const before = inclusive ? '<=' : '<';
    const sql = `SELECT ts, data FROM sample_raw WHERE appliance = $1
      AND ts >= coalesce((SELECT max(ts) FROM sample_raw WHERE appliance = $1 AND ts ${before} $2), $2) AND ts <= $3 ORDER BY ts`;
    return (await this.db.query<StoredFrame>(sql, [appliance, from, to])).rows;
  }

  // ---- queries ----

  async query(q: SeriesQuery): Promise<SeriesResult | null> {
    return (await this.queryMany(q.appliance, [q], q.from, q.to, q.resolution))[0]!;
  }

  async queryMany(
    appliance: string,
    keys: readonly Omit<SeriesKey, 'appliance'>[],
    from: number,
    to: number,
    resolution: Resolution,
  ): Promise<Array<SeriesResult | null>> {
    this.open();
    const { fromS, toS } = queryRange(from, to, resolution);
    const infos = await this.dictionary.find(appliance, keys);
    const first = infos.find((i) => i !== null);
    let points: SeriesPoint[][] = infos.map(() => []);
    if (first && resolution === 'raw' && fromS <= toS) {
      points = rawPoints(infos, await this.rawFrames(first.appliance.id, fromS, toS, false), fromS);
    } else if (first && resolution !== 'raw') {
      points = await this.rollupSeries(infos, fromS, toS, resolutionWidth(resolution));
    }
    return seriesResults(appliance, keys, infos, resolution, points);
  }

  private async rollupSeries(infos: ReadonlyArray<PgSeriesInfo | null>, fromS: number, toS: number, width: number): Promise<SeriesPoint[][]> {
    const grid = rollupGrid(fromS, toS, width);
    const first = infos.find((i) => i !== null);
    if (!grid || !first) return infos.map(() => []);
    const table = width === MINUTE ? 'sample_1m' : 'sample_1h';
    const frames = (
      await this.db.query<StoredFrame>(`SELECT ts, data FROM ${table} WHERE appliance = $1 AND ts BETWEEN $2 AND $3 ORDER BY ts`, [
        first.appliance.id,
        grid.first,
        grid.last,
      ])
    ).rows;
    const rollup = await this.rollupOf(first.appliance);
    const open = width === MINUTE ? rollup.minute : rollup.hour;
    return rollupPoints(infos, frames, open, grid, width);
  }

  // ---- retention ----

  /** Raw frames go by whole day partitions, so they stay up to a day past their retention; rollups go by row. */
  async prune(now = Date.now()): Promise<SamplePruneSummary> {
    this.open();
    const cut = (ms: number) => Math.floor((now - ms) / 1000);
    const raw = await this.partitions.dropBefore(cut(this.retention.raw));
    const minute = (await this.db.query('DELETE FROM sample_1m WHERE ts < $1', [cut(this.retention.minute)])).rowCount ?? 0;
    const hour = (await this.db.query('DELETE FROM sample_1h WHERE ts < $1', [cut(this.retention.hour)])).rowCount ?? 0;
    return { raw, minute, hour };
  }

  // ---- lifecycle ----

  /** Stores the open buckets as they stand, so a query after a restart sees them; the pool is the caller's. */
  async close(): Promise<void> {
    if (this.closed) return;
    const open: Array<BucketRow & { width: number }> = [];
    for (const appliance of this.dictionary.loaded()) appliance.rollup?.flush((bucket) => open.push(this.bucketRow(appliance, bucket)));
    this.closed = true;
    if (open.length > 0) await this.db.transaction((client) => this.putBuckets(client, open, 'replace'));
  }

  private open(): void {
    if (this.closed) throw new Error('the metric store is closed');
  }
}
