import type { PoolView, Scheduler, SchedulerFactory } from '../scheduler.js';

/**
 * The eligible backend with the fewest active flows. The search starts just after the last
 * backend chosen and keeps the first minimum it meets, so ties rotate: an idle pool is served
 * round robin instead of the first backend taking every tie.
 */
export class LeastConnections implements Scheduler {
  readonly algorithm = 'least-connections';
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
    let bestActive = Infinity;
    for (let k = 0; k < n; k++) {
      if (eligible[i] === 1 && weights[i]! > 0 && active[i]! < bestActive) {
        best = i;
        bestActive = active[i]!;
      }
      if (++i === n) i = 0;
    }
    if (best >= 0) this.next = best + 1 === n ? 0 : best + 1;
    return best;
  }
}

export const leastConnections: SchedulerFactory = (pool) => new LeastConnections(pool);
