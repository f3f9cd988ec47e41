import type { PoolView, Scheduler, SchedulerFactory } from '../scheduler.js';

/**
 * Plain rotation over the eligible backends. Weights only matter as on/off: a backend of
 * weight 0 is skipped even if a caller's mask lets it through.
 */
export class RoundRobin implements Scheduler {
  readonly algorithm = 'round-robin';
  private readonly pool: PoolView;
  /** Where the next search starts: just after the last backend chosen. */
  private next = 0;

  constructor(pool: PoolView) {
    this.pool = pool;
  }

  update(_candidates: Uint8Array): void {}

  pick(_flowHash: number, eligible: Uint8Array): number {
    const n = this.pool.size;
    const weights = this.pool.weights;
    let i = this.next < n ? this.next : 0;
    for (let k = 0; k < n; k++) {
      const candidate = i;
      if (++i === n) i = 0;
      if (eligible[candidate] === 1 && weights[candidate]! > 0) {
        this.next = i;
        return candidate;
      }
    }
    return -1;
  }
}

export const roundRobin: SchedulerFactory = (pool) => new RoundRobin(pool);
