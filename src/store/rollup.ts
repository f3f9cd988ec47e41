/**
 * 1-minute and 1-hour rollups of one appliance's frames, kept incrementally in memory: each
 * frame updates the open bucket of each resolution, and a bucket is written once, when the
 * first frame of a later bucket closes it. Pure (no SQL): the store passes an `emit` callback.
 *
 * Buckets are (start, start + width] in seconds: a counter delta belongs to the interval that
 * ends at its sample time, so a sample taken exactly on the minute closes the minute before.
 * Every delta counts whole in the bucket where its interval ends. Per slot a bucket holds:
 *   counter  n = seconds covered by known deltas, sum = Σ deltas, min/max = per-sample rates
 *   gauge    n = readings,                          sum = Σ readings, min/max = readings
 * so the mean is always sum / n: for a counter the average rate over the time actually covered,
 * which stays right when a delta spans missed polls (n is then longer than the bucket) and
 * never turns a bridged interval into a spike. Gap markers add nothing; a bucket with nothing
 * known is not written, and reads back as a null.
 */

export const MINUTE = 60;
export const HOUR = 3600;

export const KIND_COUNTER = 0;
export const KIND_GAUGE = 1;

/** Start (seconds) of the bucket of `width` holding a sample taken at `ts`. */
export function bucketOf(ts: number, width: number): number {
  return Math.floor((ts - 1) / width) * width;
}

export interface Aggregate {
  n: number;
  sum: number;
  min: number;
  max: number;
}

/** One open bucket: per-slot aggregates in parallel arrays (n = 0 marks an empty slot). */
export class Bucket {
  start = Number.NaN;
  private readonly n: number[] = [];
  private readonly sum: number[] = [];
  private readonly min: number[] = [];
  private readonly max: number[] = [];
  private used = 0;

  constructor(readonly width: number) {}

  reset(start: number): void {
    this.start = start;
    if (this.used > 0) this.n.fill(0);
    this.used = 0;
  }

  add(slot: number, n: number, sum: number, sample: number): void {
    while (this.n.length <= slot) {
      this.n.push(0);
      this.sum.push(0);
      this.min.push(0);
      this.max.push(0);
    }
    if (this.n[slot] === 0) {
      this.n[slot] = n;
      this.sum[slot] = sum;
      this.min[slot] = sample;
      this.max[slot] = sample;
      this.used++;
      return;
    }
    this.n[slot]! += n;
    this.sum[slot]! += sum;
    if (sample < this.min[slot]!) this.min[slot] = sample;
    if (sample > this.max[slot]!) this.max[slot] = sample;
  }

  isEmpty(): boolean {
    return this.used === 0;
  }

  get(slot: number): Aggregate | null {
    const n = this.n[slot];
    if (n === undefined || n === 0) return null;
    return { n, sum: this.sum[slot]!, min: this.min[slot]!, max: this.max[slot]! };
  }

  /** Visit the non-empty slots in increasing order. */
  forEach(visit: (slot: number, a: Aggregate) => void): void {
    for (let slot = 0; slot < this.n.length; slot++) {
      const n = this.n[slot]!;
      if (n !== 0) visit(slot, { n, sum: this.sum[slot]!, min: this.min[slot]!, max: this.max[slot]! });
    }
  }
}

export type EmitBucket = (bucket: Bucket) => void;

/** The rollup state of one appliance. `kinds[slot]` is KIND_COUNTER or KIND_GAUGE (shared, may grow). */
export class ApplianceRollup {
  /** Time of the last frame folded, seconds. */
  lastTs = Number.NEGATIVE_INFINITY;
  /** Per slot, the time of its last sample (value or gap marker): where its next delta starts. */
  private readonly slotTs: number[] = [];
  readonly minute = new Bucket(MINUTE);
  readonly hour = new Bucket(HOUR);

  constructor(private readonly kinds: ArrayLike<number>) {}

  /**
   * Fold the frame at `ts` (later than `lastTs`): `count` entries of `slots` (increasing) and
   * `values`. Buckets it closes are handed to `emit` first.
   */
  add(ts: number, slots: ArrayLike<number>, values: ArrayLike<number | null>, count: number, emit: EmitBucket): void {
    this.roll(this.minute, bucketOf(ts, MINUTE), emit);
    this.roll(this.hour, bucketOf(ts, HOUR), emit);
    for (let i = 0; i < count; i++) {
      const slot = slots[i]!;
      const value = values[i]!;
      const since = this.slotTs[slot];
      while (this.slotTs.length < slot) this.slotTs.push(Number.NaN);
      this.slotTs[slot] = ts;
      if (value === null) continue;
      if (this.kinds[slot] === KIND_GAUGE) {
        this.minute.add(slot, 1, value, value);
        this.hour.add(slot, 1, value, value);
      } else if (since !== undefined && !Number.isNaN(since)) {
        // A delta whose start is unknown (no earlier sample of the slot) cannot become a rate.
        const seconds = ts - since;
        const rate = value / seconds;
        this.minute.add(slot, seconds, value, rate);
        this.hour.add(slot, seconds, value, rate);
      }
    }
    this.lastTs = ts;
  }

  /** Hand the open, non-empty buckets to `emit` (a clean shutdown) without closing them. */
  flush(emit: EmitBucket): void {
    if (!this.minute.isEmpty()) emit(this.minute);
    if (!this.hour.isEmpty()) emit(this.hour);
  }

  private roll(bucket: Bucket, start: number, emit: EmitBucket): void {
    if (bucket.start === start) return;
    if (!bucket.isEmpty()) emit(bucket);
    bucket.reset(start);
  }
}
