import { describe, expect, it } from 'vitest';
import { LeastResponseTime } from '../../../../../firmware/forwarding/schedulers/least-response-time.js';
import { all, makePool, mask, sequence, tally } from './pool.js';

describe('least-response-time', () => {
  it('prefers the backend that connects fastest', () => {
    const pool = makePool([1, 1, 1]);
    pool.connectEwmaMs.set([50, 5, 20]);
    expect(new LeastResponseTime(pool).pick(0, all(pool))).toBe(1);
  });

  it('tries an unmeasured idle backend first', () => {
    const pool = makePool([1, 1, 1]);
    pool.connectEwmaMs.set([0.5, 0, 0.5]);
    const lrt = new LeastResponseTime(pool);
    expect(lrt.pick(0, all(pool))).toBe(1);
    // Once it has a flow in progress, it is scored (as if it connected in 0 ms) like the rest.
    pool.active.set([0, 5, 0]);
    expect(lrt.pick(0, all(pool))).toBe(2);
  });

  it('turns to the slower backend once the fast one is busy enough', () => {
    const pool = makePool([1, 1]);
    pool.connectEwmaMs.set([1, 10]);
    const lrt = new LeastResponseTime(pool);
    pool.active.set([4, 0]); // 2·5 = 10 vs 11·1 = 11
    expect(lrt.pick(0, all(pool))).toBe(0);
    pool.active.set([5, 0]); // 2·6 = 12 vs 11
    expect(lrt.pick(0, all(pool))).toBe(1);
  });

  it('gives most flows to the fast backend as load builds up', () => {
    const pool = makePool([1, 1, 1]);
    pool.connectEwmaMs.set([2, 20, 20]);
    const lrt = new LeastResponseTime(pool);
    const counts = tally(
      3,
      () => {
        const b = lrt.pick(0, all(pool));
        pool.active[b]!++;
        return b;
      },
      250,
    );
    expect(counts[0]!).toBeGreaterThan(counts[1]! * 5);
    expect(counts[1]! + counts[2]!).toBeGreaterThan(0);
  });

  it('divides by weight', () => {
    const pool = makePool([1, 4]);
    pool.connectEwmaMs.set([10, 10]);
    pool.active.set([2, 5]); // 33 vs 16.5
    expect(new LeastResponseTime(pool).pick(0, all(pool))).toBe(1);
  });

  it('rotates ties', () => {
    const pool = makePool([1, 1, 1]);
    pool.connectEwmaMs.set([5, 5, 5]);
    const lrt = new LeastResponseTime(pool);
    expect(sequence(() => lrt.pick(0, all(pool)), 6)).toBe('abcabc');
  });

  it('skips ineligible and weight-0 backends; -1 when none is left', () => {
    const pool = makePool([1, 0, 1]);
    pool.connectEwmaMs.set([9, 1, 1]);
    const lrt = new LeastResponseTime(pool);
    expect(lrt.pick(0, mask([1, 1, 0]))).toBe(0);
    expect(lrt.pick(0, mask([0, 1, 0]))).toBe(-1);
  });
});
