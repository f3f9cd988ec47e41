/**
 * Latency percentiles per route beside autocannon's figure for the whole mix. Invariant: the
 * routes' histograms partition the mix — every response lands in exactly one, with the same
 * correction for coordinated omission autocannon applies (HdrHistogram's
 * recordValueWithExpectedInterval: a response slower than the expected interval also records
 * the responses that would have been sent meanwhile, each one interval shorter) — so a route's
 * p99 and the mix's p99 are read off the same samples.
 */

/** Bucket width in ms: finer than any figure printed. */
const RESOLUTION_MS = 0.05;

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;

  /** One response of `ms`, and the ones coordinated omission hid when `expectedMs` > 0. */
  record(ms: number, expectedMs = 0): void {
    this.add(ms);
    if (!(expectedMs > 0)) return;
    for (let missing = ms - expectedMs; missing >= expectedMs; missing -= expectedMs) this.add(missing);
  }

  get count(): number {
    return this.total;
  }

  /** The latency at or below which `p` percent of the recorded values lie (NaN when empty). */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return (bucket + 1) * RESOLUTION_MS;
    }
    return Number.NaN;
  }

  private add(ms: number): void {
    const bucket = Math.floor(ms / RESOLUTION_MS);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total++;
  }
}
