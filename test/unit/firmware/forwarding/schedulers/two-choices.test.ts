import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../../../firmware/forwarding/flow/random.js';
import { TwoChoices } from '../../../../../firmware/forwarding/schedulers/two-choices.js';
import { all, equalPool, makePool, mask, tally, type TestPool } from './pool.js';

function scheduler(pool: TestPool, seed = 1, candidates = all(pool)): TwoChoices {
  const tc = new TwoChoices(pool, createRandom(seed));
  tc.update(candidates);
  return tc;
}

describe('two-choices', () => {
  it('draws pairs in proportion to weight', () => {
    // With equal load the heavier of the pair always wins, so the shares follow from the
    // draw alone: drawing without replacement from weights 1,2,3, the pair {a,b} comes up
    // with probability 0.15 (b wins), and c is in every other pair (c wins 0.85).
    const pool = makePool([1, 2, 3]);
    pool.active.fill(1_000);
    const tc = scheduler(pool);
    const counts = tally(3, () => tc.pick(0, all(pool)), 40_000);
    expect(counts[0]).toBe(0);
    expect(Math.abs(counts[1]! / 40_000 - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(counts[2]! / 40_000 - 0.85)).toBeLessThan(0.01);
  });

  it('never chooses the most loaded backend while another is eligible', () => {
    const pool = equalPool(5);
    pool.active.set([3, 1, 9, 0, 4]);
    const tc = scheduler(pool);
    const counts = tally(5, () => tc.pick(0, all(pool)), 5_000);
    expect(counts[2]).toBe(0);
    // The least loaded wins every pair it is in: 4 pairs of 10.
    expect(Math.abs(counts[3]! / 5_000 - 0.4)).toBeLessThan(0.03);
  });

  it('keeps load in proportion to weight when flows come and go', () => {
    const weights = [1, 2, 3, 4];
    const pool = makePool(weights);
    const tc = scheduler(pool, 3);
    const random = createRandom(99);
    const flows: number[] = [];
    const picks = new Array<number>(4).fill(0);
    for (let step = 0; step < 60_000; step++) {
      const b = tc.pick(0, all(pool));
      pool.active[b]!++;
      flows.push(b);
      if (step >= 2_000) picks[b]!++;
      if (flows.length > 1_000) {
        // A random established flow ends.
        const i = Math.floor(random() * flows.length);
        pool.active[flows[i]!]!--;
        flows[i] = flows[flows.length - 1]!;
        flows.pop();
      }
    }
    const total = picks.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => {
      expect(Math.abs(picks[i]! / total - w / 10)).toBeLessThan(0.1 * (w / 10));
      expect(Math.abs(pool.active[i]! / 1_000 - w / 10)).toBeLessThan(0.15 * (w / 10));
    });
  });

  it('chooses only among eligible backends, even when most are full', () => {
    const pool = equalPool(100);
    const tc = scheduler(pool);
    const eligible = new Uint8Array(100);
    eligible[7] = 1;
    eligible[42] = 1;
    pool.active[42] = 5;
    const counts = tally(100, () => tc.pick(0, eligible), 200);
    expect(counts[7]).toBe(200); // always paired with 42, always less loaded
    eligible[7] = 0;
    expect(tc.pick(0, eligible)).toBe(42);
  });

  it('never chooses weight 0 and returns -1 when nothing is eligible', () => {
    const pool = makePool([0, 1, 0]);
    const tc = scheduler(pool, 1, mask([1, 1, 1]));
    expect(tally(3, () => tc.pick(0, mask([1, 1, 1])), 100)).toEqual([0, 100, 0]);
    expect(tc.pick(0, mask([1, 0, 1]))).toBe(-1);
    expect(scheduler(makePool([])).pick(0, mask([]))).toBe(-1);
  });

  it('ignores backends that are not candidates', () => {
    const pool = equalPool(3);
    const tc = scheduler(pool, 5, mask([1, 0, 1]));
    expect(tally(3, () => tc.pick(0, mask([1, 0, 1])), 1_000)[1]).toBe(0);
  });

  it('is deterministic for a given random source', () => {
    const pool = makePool([3, 1, 4, 1, 5]);
    pool.active.set([2, 0, 7, 1, 3]);
    const tc1 = scheduler(pool, 11);
    const tc2 = scheduler(pool, 11);
    const a = Array.from({ length: 50 }, () => tc1.pick(0, all(pool)));
    const b = Array.from({ length: 50 }, () => tc2.pick(0, all(pool)));
    expect(b).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });
});
