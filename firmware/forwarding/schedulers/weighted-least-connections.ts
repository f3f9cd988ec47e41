import type { PoolView, Scheduler, SchedulerFactory } from '../scheduler.js';

/**
 * The eligible backend with the lowest active / weight. Ratios are compared by
 * cross-multiplication (a₁·w₂ < a₂·w₁), which is exact: the products stay below 2^53.
 * Ties rotate as in least-connections.
 */
export class WeightedLeastConnections implements Scheduler {
  readonly algorithm = 'weighted-least-connections';
  private readonly pool: PoolView;
  private next = 0;

  constructor(pool: PoolView) {
    this.pool = pool;
  }

  update(_candidates: Uint8Array): void {}

  pick(_flowHash: number, eligible: Uint8Array): number {
    const { size: n, weights, active } = this.pool;
    let i = this.next < n ? this.next : 0;
    let best = -1;
    let bestActive = 0;
    let bestWeight = 0;
    for (let k = 0; k < n; k++) {
      const weight = weights[i]!;
      if (eligible[i] === 1 && weight > 0) {
        const a = active[i]!;
        if (best < 0 || a * bestWeight < bestActive * weight) {
          best = i;
          bestActive = a;
          bestWeight = weight;
        }
      }
      if (++i === n) i = 0;
    }
    if (best >= 0) this.next = best + 1 === n ? 0 : best + 1;
    return best;
  }
}

export const weightedLeastConnections: SchedulerFactory = (pool) => new WeightedLeastConnections(pool);
