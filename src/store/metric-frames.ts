/**
 * What a metric store does with frames, whatever engine holds them: checking and grouping
 * points into one frame per appliance per second, packing raw and rollup frames
 * (frame-codec.ts), replaying raw frames into an appliance's rollups (rollup.ts), and turning
 * stored frames back into SeriesResult points. Pure: the engines run the SQL and hand rows in,
 * so SQLite and PostgreSQL store and answer the same bytes and the same points.
 */
import { FrameReader, type FrameWriter } from './frame-codec.js';
import type { Point, Resolution, Retention, SeriesKey, SeriesKind, SeriesPoint, SeriesResult } from './metric-store.js';
import { bucketOf, HOUR, KIND_COUNTER, KIND_GAUGE, MINUTE, type Aggregate, type ApplianceRollup, type Bucket, type EmitBucket } from './rollup.js';

/** What frames need of an appliance: its id, each slot's kind, its rollup state (null: rebuild from raw). */
export interface FrameAppliance {
  id: number;
  kinds: number[];
  rollup: ApplianceRollup | null;
}

/** What frames need of a series. */
export interface FrameSeries<A extends FrameAppliance = FrameAppliance> {
  appliance: A;
  slot: number;
  kind: number;
}

/** The points of one appliance at one second: one raw frame. */
export interface FrameGroup<A extends FrameAppliance = FrameAppliance> {
  appliance: A;
  ts: number;
  slots: number[];
  values: Array<number | bigint | null>;
}

/** A stored frame as an engine reads it back. */
export interface StoredFrame {
  /** Seconds. */
  ts: number;
  data: Uint8Array;
}

export const MAX_GRID_POINTS = 200_000;
const TWO_64 = 1n << 64n;

export function checkRetention(r: Retention): Retention {
  for (const [name, ms] of Object.entries(r)) {
    if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`retention.${name} must be a positive number of ms, got ${String(ms)}`);
  }
  // The open hour's raw frames are what rebuilds the rollups after a restart.
  if (r.raw < HOUR * 1000) throw new RangeError(`retention.raw must be at least one hour (the open rollup hour is rebuilt from it), got ${r.raw} ms`);
  return r;
}

/** Validate every point and gather them into frames (by appliance, then time), before anything is written. */
export function groupPoints<A extends FrameAppliance>(points: readonly Point[], info: (series: number) => FrameSeries<A>): Array<FrameGroup<A>> {
  const groups = new Map<number, FrameGroup<A>>();
  let current: FrameGroup<A> | undefined;
  for (const p of points) {
    const s = info(p.series);
    if (!(Number.isFinite(p.ts) && p.ts >= 0)) throw new RangeError(`series ${p.series}: time ${p.ts} is not a time in ms`);
    const value = p.value;
    if (value !== null) {
      if (s.kind === KIND_COUNTER) {
        const ok = typeof value === 'bigint' ? value >= 0n && value < TWO_64 : Number.isInteger(value) && value >= 0;
        if (!ok) throw new RangeError(`series ${p.series} is a counter: its value must be a non-negative integer delta or null, got ${String(value)}`);
      } else if (typeof value !== 'bigint' && !Number.isFinite(value)) {
        throw new RangeError(`series ${p.series}: gauge reading ${String(value)} is not a finite number`);
      }
    }
    const ts = Math.floor(p.ts / 1000);
    if (current === undefined || current.appliance !== s.appliance || current.ts !== ts) {
      const key = s.appliance.id * 2 ** 32 + ts;
      current = groups.get(key);
      if (!current) groups.set(key, (current = { appliance: s.appliance, ts, slots: [], values: [] }));
    }
    current.slots.push(s.slot);
    current.values.push(value);
  }
  return [...groups.values()].sort((a, b) => a.appliance.id - b.appliance.id || a.ts - b.ts);
}

/** A packed raw frame: its bytes (a copy, safe to keep) and the slots and values as rollups take them. */
export interface PackedFrame {
  bytes: Buffer;
  slots: number[];
  numbers: Array<number | null>;
}

/** Packs a group's points, slots in increasing order (of several points for one slot, the last wins). */
export function packRawFrame(writer: FrameWriter, group: Pick<FrameGroup, 'slots' | 'values'>): PackedFrame {
  let { slots, values } = group;
  if (!isIncreasing(slots)) ({ slots, values } = sortBySlot(slots, values));
  const numbers = new Array<number | null>(slots.length);
  writer.reset();
  for (let i = 0; i < slots.length; i++) {
    const v = values[i]!;
    writer.slot(slots[i]!);
    writer.value(v);
    numbers[i] = v === null ? null : Number(v);
  }
  return { bytes: Buffer.from(writer.bytes()), slots, numbers };
}

/** Packs a rollup bucket: per slot n, sum, min, max (min/max of counters as float32 rates). A copy, safe to keep. */
export function packBucket(writer: FrameWriter, kinds: readonly number[], bucket: Bucket): Buffer {
  writer.reset();
  bucket.forEach((slot, a) => {
    const lossy = kinds[slot] !== KIND_GAUGE;
    writer.slot(slot);
    writer.value(a.n);
    writer.value(a.sum);
    writer.value(a.min, lossy);
    writer.value(a.max, lossy);
  });
  return Buffer.from(writer.bytes());
}

/** Folds stored raw frames (in time order) into `rollup`; buckets they close go to `emit`. */
export function replayFrames(rollup: ApplianceRollup, frames: Iterable<StoredFrame>, emit: EmitBucket): void {
  const slots: number[] = [];
  const values: Array<number | null> = [];
  for (const row of frames) {
    slots.length = 0;
    values.length = 0;
    const r = new FrameReader(row.data);
    while (r.next()) {
      slots.push(r.slot);
      values.push(r.value());
    }
    rollup.add(row.ts, slots, values, slots.length, emit);
  }
}

/** A query's range in whole seconds, checked. */
export function queryRange(from: number, to: number, resolution: Resolution): { fromS: number; toS: number } {
  if (!(Number.isFinite(from) && Number.isFinite(to))) throw new RangeError('query from/to must be times in ms');
  if (resolution !== 'raw' && resolution !== '1m' && resolution !== '1h') throw new RangeError(`unknown resolution ${String(resolution)}`);
  return { fromS: Math.ceil(from / 1000), toS: Math.floor(to / 1000) };
}

export const resolutionWidth = (resolution: Exclude<Resolution, 'raw'>): number => (resolution === '1m' ? MINUTE : HOUR);

/**
 * The raw points of series of one appliance (null: unknown, no points) from its frames in time
 * order, starting with the last frame before `fromS` (where the first delta starts), if any.
 * Each frame is decoded once for all the series, up to the highest slot asked for: the bytes
 * read, and so the damaged frames refused, are those a read of that one slot would meet.
 */
export function rawPoints(infos: ReadonlyArray<FrameSeries | null>, frames: Iterable<StoredFrame>, fromS: number): SeriesPoint[][] {
  const points = infos.map(() => [] as SeriesPoint[]);
  const previous = infos.map(() => Number.NaN);
  const decoded = new RawFrameSlots(highestSlot(infos));
  for (const row of frames) {
    decoded.read(row.data);
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i];
      if (!info || !decoded.has(info.slot)) continue;
      const found = decoded.value(info.slot);
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
    }
  }
  return points;
}

/** The values of one raw frame by slot, slots 0..last only; reused frame after frame. */
class RawFrameSlots {
  private readonly values: Array<number | null>;
  /** Per slot, the number of the frame that last held it. */
  private readonly held: Float64Array;
  private frame = 0;

  constructor(private readonly last: number) {
    this.values = new Array<number | null>(last + 1).fill(null);
    this.held = new Float64Array(last + 1);
  }

  read(data: Uint8Array): void {
    this.frame++;
    if (this.last < 0) return;
    const r = new FrameReader(data);
    while (r.next() && r.slot <= this.last) {
      this.values[r.slot] = r.value();
      this.held[r.slot] = this.frame;
      if (r.slot === this.last) return;
    }
  }

  has(slot: number): boolean {
    return this.held[slot] === this.frame;
  }

  value(slot: number): number | null {
    return this.values[slot]!;
  }
}

/** The buckets a rollup query covers, or null when none; RangeError past MAX_GRID_POINTS. */
export function rollupGrid(fromS: number, toS: number, width: number): { first: number; last: number } | null {
  const first = bucketOf(fromS, width);
  const last = bucketOf(toS, width);
  if (last < first) return null;
  if ((last - first) / width + 1 > MAX_GRID_POINTS) throw new RangeError(`query spans more than ${MAX_GRID_POINTS} buckets: use a coarser resolution`);
  return { first, last };
}

/**
 * The rollup points on the grid of series of one appliance (null: unknown, no points) from its
 * stored bucket frames and the appliance's open bucket of that width (only in memory, and
 * complete there). Each frame is decoded once for all the series, up to the highest slot asked
 * for, as rawPoints does.
 */
export function rollupPoints(
  infos: ReadonlyArray<FrameSeries | null>,
  frames: Iterable<StoredFrame>,
  open: Bucket,
  grid: { first: number; last: number },
  width: number,
): SeriesPoint[][] {
  const last = highestSlot(infos);
  const stored = infos.map(() => new Map<number, Aggregate>());
  const decoded = new Array<Aggregate | null>(last + 1).fill(null);
  const held = new Float64Array(last + 1);
  let frame = 0;
  for (const row of last < 0 ? [] : frames) {
    frame++;
    const r = new FrameReader(row.data);
    while (r.next() && r.slot <= last) {
      const n = r.value();
      const sum = r.value();
      const min = r.value();
      const max = r.value();
      decoded[r.slot] = n === null || sum === null || min === null || max === null ? null : { n, sum, min, max };
      held[r.slot] = frame;
      if (r.slot === last) break;
    }
    infos.forEach((info, i) => {
      const a = info && held[info.slot] === frame ? decoded[info.slot] : null;
      if (a) stored[i]!.set(row.ts, a);
    });
  }
  return infos.map((info, i) => {
    if (!info) return [];
    const buckets = stored[i]!;
    if (open.start >= grid.first && open.start <= grid.last) {
      const a = open.get(info.slot);
      if (a) buckets.set(open.start, a);
      else buckets.delete(open.start);
    }
    const points: SeriesPoint[] = [];
    for (let b = grid.first; b <= grid.last; b += width) {
      const a = buckets.get(b);
      points.push(
        a
          ? { ts: b * 1000, value: a.sum / a.n, min: a.min, max: a.max, sum: a.sum, n: a.n }
          : { ts: b * 1000, value: null, min: null, max: null, sum: null, n: 0 },
      );
    }
    return points;
  });
}

const highestSlot = (infos: ReadonlyArray<FrameSeries | null>): number => infos.reduce((top, info) => (info && info.slot > top ? info.slot : top), -1);

export const kindName = (kind: number): SeriesKind => (kind === KIND_GAUGE ? 'gauge' : 'counter');

/** The key as callers see it: service and backend absent rather than ''. */
export function keyOf(appliance: string, service: string, backend: string, counter: string): SeriesKey {
  return { appliance, ...(service !== '' && { service }), ...(backend !== '' && { backend }), counter };
}

/** queryMany's answer: one result per key, null for an unknown series. */
export function seriesResults(
  appliance: string,
  keys: readonly Omit<SeriesKey, 'appliance'>[],
  infos: ReadonlyArray<FrameSeries | null>,
  resolution: Resolution,
  points: SeriesPoint[][],
): Array<SeriesResult | null> {
  return infos.map((info, i) => {
    if (!info) return null;
    const k = keys[i]!;
    return {
      key: keyOf(appliance, k.service ?? '', k.backend ?? '', k.counter),
      kind: kindName(info.kind),
      resolution,
      step: resolution === 'raw' ? null : resolutionWidth(resolution) * 1000,
      points: points[i]!,
    };
  });
}

function isIncreasing(slots: readonly number[]): boolean {
  for (let i = 1; i < slots.length; i++) if (slots[i]! <= slots[i - 1]!) return false;
  return true;
}

function sortBySlot(slots: readonly number[], values: ReadonlyArray<number | bigint | null>) {
  const latest = new Map<number, number | bigint | null>();
  slots.forEach((slot, i) => latest.set(slot, values[i]!));
  const sorted = [...latest.keys()].sort((a, b) => a - b);
  return { slots: sorted, values: sorted.map((s) => latest.get(s)!) };
}
