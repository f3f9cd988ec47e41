import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmoothWeightedRoundRobin } from '../../../../../firmware/forwarding/schedulers/weighted-round-robin.js';
import { all, makePool, mask, sequence, tally } from './pool.js';

describe('smooth weighted round robin', () => {
  it('interleaves 5,1,1 as a a b a c a a, cycle after cycle', () => {
    const pool = makePool([5, 1, 1]);
    const wrr = new SmoothWeightedRoundRobin(pool);
    const eligible = all(pool);
    expect(sequence(() => wrr.pick(0, eligible), 14)).toBe('aabacaa'.repeat(2));
  });

  it('gives 3,2,1 exactly 300/200/100 over 600 picks, and 3/2/1 in every cycle of 6', () => {
    const pool = makePool([3, 2, 1]);
    const wrr = new SmoothWeightedRoundRobin(pool);
    const eligible = all(pool);
    for (let cycle = 0; cycle < 100; cycle++) {
      expect(tally(3, () => wrr.pick(0, eligible), 6)).toEqual([3, 2, 1]);
    }
    wrr.update(eligible);
    expect(tally(3, () => wrr.pick(0, eligible), 600)).toEqual([300, 200, 100]);
  });

  it('is exact for any weights: Σweight picks give each backend its weight', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), (weights) => {
        const pool = makePool(weights);
        const wrr = new SmoothWeightedRoundRobin(pool);
        const eligible = all(pool);
        const total = weights.reduce((a, b) => a + b, 0);
        expect(tally(weights.length, () => wrr.pick(0, eligible), total)).toEqual(weights);
      }),
    );
  });

  it('skips an ineligible backend without letting it accrue credit', () => {
    const pool = makePool([1, 1]);
    const wrr = new SmoothWeightedRoundRobin(pool);
    expect(sequence(() => wrr.pick(0, mask([1, 0])), 5)).toBe('aaaaa');
    // Had b accrued while skipped it would now take a burst of b's.
    expect(sequence(() => wrr.pick(0, mask([1, 1])), 6)).toBe('ababab');
  });

  it('never chooses weight 0, even if the mask lets it through', () => {
    const pool = makePool([2, 0, 1]);
    const wrr = new SmoothWeightedRoundRobin(pool);
    expect(sequence(() => wrr.pick(0, mask([1, 1, 1])), 6)).toBe('acaaca');
  });

  it('returns -1 when nothing is eligible', () => {
    const pool = makePool([1, 1]);
    const wrr = new SmoothWeightedRoundRobin(pool);
    expect(wrr.pick(0, mask([0, 0]))).toBe(-1);
    expect(sequence(() => wrr.pick(0, mask([1, 1])), 2)).toBe('ab');
  });

  it('restarts the cycle on update', () => {
    const pool = makePool([5, 1, 1]);
    const wrr = new SmoothWeightedRoundRobin(pool);
    const eligible = all(pool);
    sequence(() => wrr.pick(0, eligible), 3);
    wrr.update(eligible);
    expect(sequence(() => wrr.pick(0, eligible), 7)).toBe('aabacaa');
  });
});
