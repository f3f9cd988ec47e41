import { describe, expect, it } from 'vitest';
import { LeastConnections } from '../../../../../firmware/forwarding/schedulers/least-connections.js';
import { WeightedLeastConnections } from '../../../../../firmware/forwarding/schedulers/weighted-least-connections.js';
import { all, makePool, mask, sequence } from './pool.js';

describe('least-connections', () => {
  it('chooses the backend with the fewest active flows', () => {
    const pool = makePool([1, 1, 1]);
    pool.active.set([5, 2, 7]);
    expect(new LeastConnections(pool).pick(0, all(pool))).toBe(1);
  });

  it('rotates ties instead of giving them all to the first backend', () => {
    const pool = makePool([1, 1, 1]);
    const lc = new LeastConnections(pool);
    expect(sequence(() => lc.pick(0, all(pool)), 6)).toBe('abcabc');
    pool.active.set([0, 3, 0]);
    expect(sequence(() => lc.pick(0, all(pool)), 4)).toBe('acac');
  });

  it('ignores weights other than 0, and skips ineligible backends', () => {
    const pool = makePool([100, 1, 0]);
    pool.active.set([4, 3, 0]);
    const lc = new LeastConnections(pool);
    expect(lc.pick(0, mask([1, 1, 1]))).toBe(1);
    expect(lc.pick(0, mask([1, 0, 1]))).toBe(0);
    expect(lc.pick(0, mask([0, 0, 1]))).toBe(-1);
  });

  it('balances active flows when each pick opens one', () => {
    const pool = makePool([1, 1, 1, 1]);
    const lc = new LeastConnections(pool);
    pool.active.set([10, 0, 5, 3]);
    for (let i = 0; i < 22; i++) pool.active[lc.pick(0, all(pool))]!++;
    expect([...pool.active]).toEqual([10, 10, 10, 10]);
  });
});

describe('weighted-least-connections', () => {
  it('chooses the lowest active / weight', () => {
    const pool = makePool([1, 2]);
    const wlc = new WeightedLeastConnections(pool);
    pool.active.set([1, 1]); // 1 vs 0.5
    expect(wlc.pick(0, all(pool))).toBe(1);
    pool.active.set([3, 5]); // 3 vs 2.5
    expect(wlc.pick(0, all(pool))).toBe(1);
    pool.active.set([2, 5]); // 2 vs 2.5
    expect(wlc.pick(0, all(pool))).toBe(0);
  });

  it('rotates exact ties (3/2 = 6/4)', () => {
    const pool = makePool([2, 4, 1]);
    pool.active.set([3, 6, 9]);
    const wlc = new WeightedLeastConnections(pool);
    expect(sequence(() => wlc.pick(0, all(pool)), 4)).toBe('abab');
  });

  it('fills backends in proportion to weight when each pick opens a flow', () => {
    const pool = makePool([1, 2, 3]);
    const wlc = new WeightedLeastConnections(pool);
    for (let i = 0; i < 600; i++) pool.active[wlc.pick(0, all(pool))]!++;
    expect([...pool.active]).toEqual([100, 200, 300]);
  });

  it('never chooses weight 0 and returns -1 when nothing is eligible', () => {
    const pool = makePool([0, 1]);
    pool.active.set([0, 50]);
    const wlc = new WeightedLeastConnections(pool);
    expect(wlc.pick(0, mask([1, 1]))).toBe(1);
    expect(wlc.pick(0, mask([1, 0]))).toBe(-1);
  });
});
