import type { PoolView, Scheduler, SchedulerFactory } from '../scheduler.js';

/**
 * Smooth weighted round robin, as in nginx: every eligible backend's `current` grows by its
 * weight, the largest is chosen and pays back the total. Picks are interleaved (5,1,1 gives
 * a a b a c a a, never a a a a a b c) and exact: over any run of Σweight picks with a fixed
 * eligible set, each backend is chosen exactly `weight` times.
 *
 * A backend that is not eligible neither accrues nor pays, so it rejoins without a burst.
 */
export class SmoothWeightedRoundRobin implements Scheduler {
  readonly algorithm = 'weighted-round-robin';
  private readonly pool: PoolView;
  // Float64 rather than Int32: Σweight can pass 2^31 with 65,535 × tens of thousands of backends.
  private readonly current: Float64Array;

  constructor(pool: PoolView) {
    this.pool = pool;
    this.current = new Float64Array(pool.size);
  }

  /** A new candidate set or new weights start a fresh cycle, so the sequence is predictable again. */
  update(_candidates: Uint8Array): void {
    this.current.fill(0);
  }

  pick(_flowHash: number, eligible: Uint8Array): number {
    const n = this.pool.size;
    const weights = this.pool.weights;
    const current = this.current;
    let best = -1;
    let bestCurrent = -Infinity;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const weight = weights[i]!;
      if (weight === 0 || eligible[i] !== 1) continue;
      const c = current[i]! + weight;
      current[i] = c;
      total += weight;
      if (c > bestCurrent) {
        bestCurrent = c;
        best = i;
      }
    }
    if (best >= 0) current[best] = bestCurrent - total;
    return best;
  }
}

export const weightedRoundRobin: SchedulerFactory = (pool) => new SmoothWeightedRoundRobin(pool);
