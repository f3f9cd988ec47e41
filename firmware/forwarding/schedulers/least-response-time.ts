import type { PoolView, Scheduler, SchedulerFactory } from '../scheduler.js';

/**
 * The eligible backend with the lowest (connect EWMA + 1) × (active + 1) / weight: a fast
 * backend is preferred until its queue makes it slower than the others. The +1s keep a
 * backend with no flows, or a sub-millisecond connect time, from scoring zero.
 *
 * A backend with no connect sample yet and no flow in progress goes first, so a new or
 * recovered backend gets measured; once a flow is on it, it is scored with an EWMA of 0 (the
 * best case) until the first sample lands, which bounds how many flows it takes untested.
 * Ties rotate as in least-connections.
 */
export class LeastResponseTime implements Scheduler {
  readonly algorithm = 'least-response-time';
  private readonly pool: PoolView;
  private next = 0;

  constructor(pool: PoolView) {
    this.pool = pool;
  }

  update(_candidates: Uint8Array): void {}

  pick(_flowHash: number, eligible: Uint8Array): number {
    const { size: n, weights, active, connectEwmaMs } = this.pool;
    let i = this.next < n ? this.next : 0;
    let best = -1;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const weight = weights[i]!;
      if (eligible[i] === 1 && weight > 0) {
        const ewma = connectEwmaMs[i]!;
        const a = active[i]!;
        // Every real score is positive, so -1 ranks an unmeasured idle backend first.
        const score = ewma === 0 && a === 0 ? -1 : ((ewma + 1) * (a + 1)) / weight;
        if (score < bestScore) {
          best = i;
          bestScore = score;
        }
      }
      if (++i === n) i = 0;
    }
    if (best >= 0) this.next = best + 1 === n ? 0 : best + 1;
    return best;
  }
}

export const leastResponseTime: SchedulerFactory = (pool) => new LeastResponseTime(pool);
