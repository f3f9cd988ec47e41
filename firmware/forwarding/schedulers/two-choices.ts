import type { PoolView, Random, Scheduler, SchedulerFactory, SchedulerOptions } from '../scheduler.js';

/** Draws from the candidate prefix sums before falling back to an exact scan of the eligible set. */
const MAX_REJECTIONS = 8;

/**
 * Weighted power of two choices: draw two distinct eligible backends with probability
 * proportional to weight, keep the one with the lower (active + 1) / weight. Two samples are
 * enough to avoid the worst backends (the most loaded one is never chosen while another is
 * eligible) without the herding of a global least-connections when many balancers share a pool.
 *
 * Draws are O(log n): a binary search in prefix sums of the candidates' weights, built on
 * `update`. A draw that lands on a momentarily ineligible backend (or on the first choice) is
 * redrawn, which leaves the distribution exactly proportional over the rest; after a few misses
 * an O(n) scan samples the same distribution directly, so a mostly full pool stays bounded.
 */
export class TwoChoices implements Scheduler {
  readonly algorithm = 'two-choices';
  private readonly pool: PoolView;
  private readonly random: Random;
  /** prefix[i] = Σ weight of candidates 0..i. */
  private readonly prefix: Float64Array;
  private total = 0;

  constructor(pool: PoolView, random: Random) {
    this.pool = pool;
    this.random = random;
    this.prefix = new Float64Array(pool.size);
  }

  update(candidates: Uint8Array): void {
    const { size: n, weights } = this.pool;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (candidates[i] === 1) sum += weights[i]!;
      this.prefix[i] = sum;
    }
    this.total = sum;
  }

  pick(_flowHash: number, eligible: Uint8Array): number {
    const first = this.draw(eligible, -1);
    if (first < 0) return -1;
    const second = this.draw(eligible, first);
    if (second < 0) return first;
    const { weights, active } = this.pool;
    // (a₁+1)/w₁ ≤ (a₂+1)/w₂ by cross-multiplication; a tie keeps the first, itself random.
    return (active[first]! + 1) * weights[second]! <= (active[second]! + 1) * weights[first]! ? first : second;
  }

  /** A backend drawn with probability ∝ weight among the eligible ones other than `exclude`; -1 if none. */
  private draw(eligible: Uint8Array, exclude: number): number {
    const { size: n, weights } = this.pool;
    if (this.total > 0) {
      for (let attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
        const i = this.search(this.random() * this.total);
        if (i !== exclude && eligible[i] === 1 && weights[i]! > 0) return i;
      }
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (i !== exclude && eligible[i] === 1) sum += weights[i]!;
    }
    if (sum === 0) return -1;
    let x = this.random() * sum;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (i === exclude || eligible[i] !== 1 || weights[i] === 0) continue;
      last = i;
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return last; // rounding left x a hair above zero
  }

  /** The first index whose prefix sum exceeds x (0 ≤ x < total). */
  private search(x: number): number {
    const prefix = this.prefix;
    let lo = 0;
    let hi = this.pool.size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (prefix[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export const twoChoices: SchedulerFactory = (pool, options: SchedulerOptions) => new TwoChoices(pool, options.random);
