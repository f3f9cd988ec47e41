/**
 * MetricStore on better-sqlite3. Layout (see database.ts for the DDL):
 * - `metric_appliance` / `metric_series`: the dictionary, (appliance, service, backend,
 *   counter) → series id, and within its appliance a small `slot` number;
 * - `sample_raw`: one row per appliance per poll, `(appliance, ts, frame)`, the frame packing
 *   every slot's value (frame-codec.ts): counter deltas, gauge readings, null gap markers;
 * - `sample_1m`, `sample_1h`: the same shape, frames of per-slot aggregates (rollup.ts),
 *   written when a bucket closes. The open buckets live in memory; after a restart they are
 *   rebuilt from the raw frames of the open hour the first time the appliance is touched, so a
 *   crash loses nothing that reached the raw table.
 */
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from './database.js';
import { FrameReader, FrameWriter } from './frame-codec.js';
import {
  DEFAULT_RETENTION,
  type EventInput,
  type EventQuery,
  type MetricStore,
  type Point,
  type PruneSummary,
  type Retention,
  type SeriesKey,
  type SeriesKind,
  type SeriesPoint,
  type SeriesQuery,
  type SeriesResult,
  type StoredEvent,
  type WriteSummary,
} from './metric-store.js';
import { ApplianceRollup, bucketOf, HOUR, KIND_COUNTER, KIND_GAUGE, MINUTE, type Aggregate, type Bucket } from './rollup.js';

interface ApplianceInfo {
  id: number;
  name: string;
  /** Kind of each slot (KIND_COUNTER / KIND_GAUGE). */
  kinds: number[];
  /** Open buckets and per-slot last times; null until first needed (then rebuilt from raw). */
  rollup: ApplianceRollup | null;
}

/**
 * What writing a point needs of its series, cached by id for every series written (a big fleet
 * has hundreds of thousands: keep it small). Keys are not cached: the poller resolves them once
 * per appliance layout (src/poller/recorder.ts), so a key lookup is a rare indexed SELECT.
 */
interface SeriesInfo {
  id: number;
  appliance: ApplianceInfo;
  slot: number;
  kind: number;
}

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

const MAX_GRID_POINTS = 200_000;
const TWO_64 = 1n << 64n;
const kindName = (kind: number): SeriesKind => (kind === KIND_GAUGE ? 'gauge' : 'counter');
interface SeriesRow {
  id: number;
  appliance: number;
  slot: number;
  kind: number;
}

/** A series' key within its appliance. */
const localKey = (k: { service?: string; backend?: string; counter: string }) => `${k.service ?? ''}\u0000${k.backend ?? ''}\u0000${k.counter}`;
const keyText = (k: SeriesKey) => `${k.appliance}\u0000${k.service ?? ''}\u0000${k.backend ?? ''}\u0000${k.counter}`;
const jsonSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

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
  private readonly byId = new Map<number, SeriesInfo>();
  private readonly appliances = new Map<number, ApplianceInfo>();
  private readonly frame = new FrameWriter();
  private readonly bucketFrame = new FrameWriter();
  private readonly sql: Record<string, Statement>;
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
    const p = (text: string) => db.prepare(text);
    this.sql = {
      applianceByName: p('SELECT id FROM metric_appliance WHERE name = ?'),
      applianceById: p('SELECT name FROM metric_appliance WHERE id = ?'),
      insertAppliance: p('INSERT INTO metric_appliance (name) VALUES (?)'),
      allAppliances: p('SELECT id FROM metric_appliance'),
      kinds: p('SELECT slot, kind FROM metric_series WHERE appliance = ?'),
      seriesByKey: p('SELECT id, slot, kind FROM metric_series WHERE appliance = ? AND service = ? AND backend = ? AND counter = ?'),
      seriesById: p('SELECT appliance, slot, kind, service, backend, counter FROM metric_series WHERE id = ?'),
      seriesOf: p('SELECT id, slot, service, backend, counter, kind FROM metric_series WHERE appliance = ? ORDER BY id'),
      insertSeries: p('INSERT INTO metric_series (appliance, slot, service, backend, counter, kind) VALUES (?, ?, ?, ?, ?, ?)'),
      insertRaw: p('INSERT INTO sample_raw (appliance, ts, data) VALUES (?, ?, ?)'),
      put1m: p('INSERT OR REPLACE INTO sample_1m (appliance, ts, data) VALUES (?, ?, ?)'),
      put1h: p('INSERT OR REPLACE INTO sample_1h (appliance, ts, data) VALUES (?, ?, ?)'),
      lastRaw: p('SELECT max(ts) AS ts FROM sample_raw WHERE appliance = ?'),
      // From the last frame at or before `since` (where the first delta starts), through the end.
      rawSince: p(
        'SELECT ts, data FROM sample_raw WHERE appliance = @appliance AND ts >= coalesce((SELECT max(ts) FROM sample_raw WHERE appliance = @appliance AND ts <= @from), @from) ORDER BY ts',
      ),
      // The range plus the frame before it, which holds where the first delta starts.
      rawRange: p(
        'SELECT ts, data FROM sample_raw WHERE appliance = @appliance AND ts >= coalesce((SELECT max(ts) FROM sample_raw WHERE appliance = @appliance AND ts < @from), @from) AND ts <= @to ORDER BY ts',
      ),
      range1m: p('SELECT ts, data FROM sample_1m WHERE appliance = ? AND ts BETWEEN ? AND ? ORDER BY ts'),
      range1h: p('SELECT ts, data FROM sample_1h WHERE appliance = ? AND ts BETWEEN ? AND ? ORDER BY ts'),
      pruneRaw: p('DELETE FROM sample_raw WHERE appliance = ? AND ts < ?'),
      prune1m: p('DELETE FROM sample_1m WHERE appliance = ? AND ts < ?'),
      prune1h: p('DELETE FROM sample_1h WHERE appliance = ? AND ts < ?'),
      pruneEvents: p('DELETE FROM events WHERE ts < ?'),
      insertEvent: p('INSERT INTO events (ts, appliance, kind, detail) VALUES (?, ?, ?, ?)'),
    };
  }

  // ---- dictionary ----

  series(key: SeriesKey, kind: SeriesKind): number {
    return this.seriesMany([{ key, kind }])[0]!;
  }

  seriesMany(requests: ReadonlyArray<{ key: SeriesKey; kind: SeriesKind }>): number[] {
    this.open();
    const ids = new Array<number>(requests.length);
    const missing: number[] = [];
    // One query per appliance of the batch reads what exists (a poll resolves a whole appliance).
    const known = new Map<string, Map<string, SeriesRow>>();
    const existing = (key: SeriesKey) => {
      let rows = known.get(key.appliance);
      if (!rows) known.set(key.appliance, (rows = this.seriesRowsOf(key.appliance)));
      return rows;
    };
    requests.forEach(({ key, kind }, i) => {
      const row = existing(key).get(localKey(key));
      if (row) ids[i] = this.checkKind(this.remember(row.id, this.applianceById(row.appliance), row.slot, row.kind), kind, key);
      else missing.push(checkSeries(key, kind, i));
    });
    // New series are created in one transaction: a commit each would cost ~0.1 ms apiece, a
    // minute for the first poll cycle of a large fleet.
    if (missing.length > 0) {
      try {
        this.db.transaction(() => {
          for (const i of missing) {
            const { key, kind } = requests[i]!;
            const rows = existing(key);
            let row = rows.get(localKey(key)); // asked twice in one batch
            if (!row) rows.set(localKey(key), (row = this.createSeries(key, kind)));
            ids[i] = this.checkKind(this.remember(row.id, this.applianceById(row.appliance), row.slot, row.kind), kind, key);
          }
        })();
      } catch (error) {
        // Rolled back: what this batch cached may name rows that no longer exist.
        this.forgetCaches();
        throw error;
      }
    }
    return ids;
  }

  /** The series of `key` if it exists (an indexed lookup). */
  private existingSeries(key: SeriesKey): SeriesInfo | null {
    const appliance = this.applianceNamed(key.appliance, false);
    const row = appliance && (this.sql.seriesByKey!.get(appliance.id, key.service ?? '', key.backend ?? '', key.counter) as { id: number; slot: number; kind: number } | undefined);
    return row ? this.remember(row.id, appliance, row.slot, row.kind) : null;
  }

  /** Every series of an appliance by local key (service, backend, counter). */
  private seriesRowsOf(name: string): Map<string, SeriesRow> {
    const out = new Map<string, SeriesRow>();
    const appliance = this.applianceNamed(name, false);
    if (!appliance) return out;
    for (const r of this.sql.seriesOf!.all(appliance.id) as Array<{ id: number; slot: number; service: string; backend: string; counter: string; kind: number }>) {
      out.set(localKey(r), { id: r.id, appliance: appliance.id, slot: r.slot, kind: r.kind });
    }
    return out;
  }

  private createSeries(key: SeriesKey, kind: SeriesKind): SeriesRow {
    const appliance = this.applianceNamed(key.appliance, true)!;
    // Slots are dense from 0: the next is one past the highest this appliance has.
    const slot = appliance.kinds.length;
    const code = kind === 'gauge' ? KIND_GAUGE : KIND_COUNTER;
    const id = Number(this.sql.insertSeries!.run(appliance.id, slot, key.service ?? '', key.backend ?? '', key.counter, code).lastInsertRowid);
    appliance.kinds[slot] = code;
    return { id, appliance: appliance.id, slot, kind: code };
  }

  listSeries(appliance: string): Array<SeriesKey & { id: number; kind: SeriesKind }> {
    this.open();
    const info = this.applianceNamed(appliance, false);
    if (!info) return [];
    const rows = this.sql.seriesOf!.all(info.id) as Array<{ id: number; service: string; backend: string; counter: string; kind: number }>;
    return rows.map((r) => ({ ...this.keyOf(appliance, r.service, r.backend, r.counter), id: r.id, kind: kindName(r.kind) }));
  }

  private keyOf(appliance: string, service: string, backend: string, counter: string): SeriesKey {
    return { appliance, ...(service !== '' && { service }), ...(backend !== '' && { backend }), counter };
  }

  private checkKind(info: SeriesInfo, kind: SeriesKind, key: SeriesKey): number {
    if (kindName(info.kind) !== kind) throw new TypeError(`series ${keyText(key).replaceAll('\u0000', '/')} is a ${kindName(info.kind)}, not a ${kind}`);
    return info.id;
  }

  private remember(id: number, appliance: ApplianceInfo, slot: number, kind: number): SeriesInfo {
    let info = this.byId.get(id);
    if (!info) this.byId.set(id, (info = { id, appliance, slot, kind }));
    return info;
  }

  /** Drop everything cached from the database; it is all read again (rollups rebuilt from raw) on demand. */
  private forgetCaches(): void {
    this.byId.clear();
    this.appliances.clear();
  }

  private applianceNamed(name: string, create: boolean): ApplianceInfo | null {
    const row = this.sql.applianceByName!.get(name) as { id: number } | undefined;
    if (row) return this.applianceById(row.id, name);
    if (!create) return null;
    return this.applianceById(Number(this.sql.insertAppliance!.run(name).lastInsertRowid), name);
  }

  private applianceById(id: number, name?: string): ApplianceInfo {
    let info = this.appliances.get(id);
    if (info) return info;
    name ??= (this.sql.applianceById!.get(id) as { name: string }).name;
    const kinds: number[] = [];
    for (const r of this.sql.kinds!.all(id) as Array<{ slot: number; kind: number }>) kinds[r.slot] = r.kind;
    info = { id, name, kinds, rollup: null };
    this.appliances.set(id, info);
    return info;
  }

  private seriesInfo(id: number): SeriesInfo {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const row = this.sql.seriesById!.get(id) as { appliance: number; slot: number; kind: number; service: string; backend: string; counter: string } | undefined;
    if (!row) throw new RangeError(`unknown series id ${String(id)}`);
    return this.remember(id, this.applianceById(row.appliance), row.slot, row.kind);
  }

  // ---- samples ----

  write(points: readonly Point[]): WriteSummary {
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
      const info = this.seriesInfo(p.series);
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
    this.sql.insertRaw!.run(g.appliance.id, g.ts, this.frame.bytes());
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
    (bucket.width === MINUTE ? this.sql.put1m! : this.sql.put1h!).run(appliance.id, bucket.start, w.bytes());
  }

  /** The appliance's rollup state, rebuilt from the raw frames of its open hour when not in memory. */
  private rollupOf(appliance: ApplianceInfo): ApplianceRollup {
    if (appliance.rollup) return appliance.rollup;
    const rollup = new ApplianceRollup(appliance.kinds);
    const last = (this.sql.lastRaw!.get(appliance.id) as { ts: number | null }).ts;
    if (last !== null) {
      const slots: number[] = [];
      const values: Array<number | null> = [];
      for (const row of this.sql.rawSince!.iterate({ appliance: appliance.id, from: bucketOf(last, HOUR) }) as Iterable<{ ts: number; data: Buffer }>) {
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

  query(q: SeriesQuery): SeriesResult | null {
    this.open();
    if (!(Number.isFinite(q.from) && Number.isFinite(q.to))) throw new RangeError('query from/to must be times in ms');
    const info = this.existingSeries(q);
    if (!info) return null;
    const fromS = Math.ceil(q.from / 1000);
    const toS = Math.floor(q.to / 1000);
    const base = { key: this.keyOf(q.appliance, q.service ?? '', q.backend ?? '', q.counter), kind: kindName(info.kind), resolution: q.resolution };
    switch (q.resolution) {
      case 'raw':
        return { ...base, step: null, points: fromS > toS ? [] : this.rawPoints(info, fromS, toS) };
      case '1m':
        return { ...base, step: MINUTE * 1000, points: this.rollupPoints(info, fromS, toS, MINUTE) };
      case '1h':
        return { ...base, step: HOUR * 1000, points: this.rollupPoints(info, fromS, toS, HOUR) };
      default:
        throw new RangeError(`unknown resolution ${String(q.resolution)}`);
    }
  }

  /**
   * Several series of one appliance at once: raw frames are read and decoded once for all of
   * them (a history of an appliance's ~200 series is one range scan, not 200). Unknown keys → null.
   */
  queryMany(appliance: string, keys: readonly Omit<SeriesKey, 'appliance'>[], from: number, to: number, resolution: SeriesQuery['resolution']): Array<SeriesResult | null> {
    if (resolution !== 'raw') return keys.map((k) => this.query({ appliance, ...k, from, to, resolution }));
    this.open();
    if (!(Number.isFinite(from) && Number.isFinite(to))) throw new RangeError('query from/to must be times in ms');
    const rows = this.seriesRowsOf(appliance);
    const infos = keys.map((k) => {
      const row = rows.get(localKey(k));
      return row ? this.remember(row.id, this.applianceById(row.appliance), row.slot, row.kind) : null;
    });
    const fromS = Math.ceil(from / 1000);
    const toS = Math.floor(to / 1000);
    const points = infos.map(() => [] as SeriesPoint[]);
    const first = infos.find((i) => i !== null);
    if (first && fromS <= toS) {
      const previous = infos.map(() => Number.NaN);
      for (const row of this.sql.rawRange!.iterate({ appliance: first.appliance.id, from: fromS, to: toS }) as Iterable<{ ts: number; data: Buffer }>) {
        infos.forEach((info, i) => {
          if (!info) return;
          const found = valueAt(row.data, info.slot, 1);
          if (found === undefined) return;
          if (row.ts >= fromS) {
            let value = found;
            if (info.kind === KIND_COUNTER && found !== null) value = Number.isNaN(previous[i]!) ? null : found / (row.ts - previous[i]!);
            points[i]!.push({ ts: row.ts * 1000, value, min: value, max: value, sum: found });
          }
          previous[i] = row.ts;
        });
      }
    }
    return infos.map((info, i) => (info ? { key: this.keyOf(appliance, keys[i]!.service ?? '', keys[i]!.backend ?? '', keys[i]!.counter), kind: kindName(info.kind), resolution: 'raw', step: null, points: points[i]! } : null));
  }

  private rawPoints(info: SeriesInfo, fromS: number, toS: number): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    let previous = Number.NaN;
    for (const row of this.sql.rawRange!.iterate({ appliance: info.appliance.id, from: fromS, to: toS }) as Iterable<{ ts: number; data: Buffer }>) {
      const found = valueAt(row.data, info.slot, 1);
      if (found === undefined) continue;
      if (row.ts >= fromS) {
        let value = found;
        // A counter's delta becomes a rate over the interval since the slot's previous sample;
        // with that sample gone (retention) or never written, the rate is unknown.
        if (info.kind === KIND_COUNTER && found !== null) value = Number.isNaN(previous) ? null : found / (row.ts - previous);
        points.push({ ts: row.ts * 1000, value, min: value, max: value, sum: found });
      }
      previous = row.ts;
    }
    return points;
  }

  private rollupPoints(info: SeriesInfo, fromS: number, toS: number, width: number): SeriesPoint[] {
    const first = bucketOf(fromS, width);
    const last = bucketOf(toS, width);
    if (last < first) return [];
    if ((last - first) / width + 1 > MAX_GRID_POINTS) throw new RangeError(`query spans more than ${MAX_GRID_POINTS} buckets: use a coarser resolution`);
    const stored = new Map<number, Aggregate>();
    const range = width === MINUTE ? this.sql.range1m! : this.sql.range1h!;
    for (const row of range.iterate(info.appliance.id, first, last) as Iterable<{ ts: number; data: Buffer }>) {
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
      points.push(a ? { ts: b * 1000, value: a.sum / a.n, min: a.min, max: a.max, sum: a.sum } : { ts: b * 1000, value: null, min: null, max: null, sum: null });
    }
    return points;
  }

  // ---- retention ----

  prune(now = Date.now()): PruneSummary {
    this.open();
    const cut = (ms: number) => Math.floor((now - ms) / 1000);
    return this.db.transaction(() => {
      const summary: PruneSummary = { raw: 0, minute: 0, hour: 0, events: 0 };
      // Per appliance, so each delete is a range of the primary key rather than a table scan.
      for (const { id } of this.sql.allAppliances!.all() as Array<{ id: number }>) {
        summary.raw += this.sql.pruneRaw!.run(id, cut(this.retention.raw)).changes;
        summary.minute += this.sql.prune1m!.run(id, cut(this.retention.minute)).changes;
        summary.hour += this.sql.prune1h!.run(id, cut(this.retention.hour)).changes;
      }
      summary.events = this.sql.pruneEvents!.run(Math.floor(now - this.retention.events)).changes;
      return summary;
    })();
  }

  // ---- events ----

  appendEvent(event: EventInput): number {
    this.open();
    if (!Number.isFinite(event.ts)) throw new RangeError(`event time ${event.ts} is not a time in ms`);
    for (const [field, value] of [['appliance', event.appliance], ['kind', event.kind]] as const) {
      if (typeof value !== 'string' || value === '') throw new TypeError(`event ${field} must be a non-empty string`);
    }
    const detail = JSON.stringify(event.detail ?? null, jsonSafe);
    return Number(this.sql.insertEvent!.run(Math.floor(event.ts), event.appliance, event.kind, detail).lastInsertRowid);
  }

  events(query: EventQuery = {}): StoredEvent[] {
    this.open();
    const where: string[] = [];
    const args: Array<string | number> = [];
    const filter = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    filter('appliance = ?', query.appliance);
    filter('kind = ?', query.kind);
    filter('ts >= ?', query.from);
    filter('ts <= ?', query.to);
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const limit = Math.max(0, Math.min(query.limit ?? 1000, 100_000));
    const text = `SELECT id, ts, appliance, kind, detail FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts ${order}, id ${order} LIMIT ${limit}`;
    const rows = this.db.prepare(text).all(...args) as Array<Omit<StoredEvent, 'detail'> & { detail: string }>;
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
  }

  // ---- lifecycle ----

  close(): void {
    if (this.closed) return;
    // Open buckets go to disk as they stand (replaced when they close), so queries after a
    // restart see them; their in-memory state is rebuilt from raw frames anyway.
    this.db.transaction(() => {
      for (const appliance of this.appliances.values()) appliance.rollup?.flush((bucket) => this.putBucket(appliance, bucket));
    })();
    this.closed = true;
    if (this.options.ownsDatabase) this.db.close();
  }

  private open(): void {
    if (this.closed) throw new Error('the metric store is closed');
  }
}

function checkSeries(key: SeriesKey, kind: SeriesKind, index: number): number {
  for (const [field, value] of [['appliance', key.appliance], ['counter', key.counter]] as const) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`series ${field} must be a non-empty string`);
  }
  for (const [field, value] of [['service', key.service], ['backend', key.backend]] as const) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`series ${field} must be a string when given`);
  }
  if (kind !== 'counter' && kind !== 'gauge') throw new TypeError(`series kind must be 'counter' or 'gauge', got ${String(kind)}`);
  return index;
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
function valueAt(data: Buffer, slot: number, fields: number): number | null | undefined {
  const r = new FrameReader(data);
  while (r.next()) {
    if (r.slot === slot) return r.value();
    if (r.slot > slot) return undefined;
    r.skip(fields);
  }
  return undefined;
}

function aggregateAt(data: Buffer, slot: number): Aggregate | null {
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
