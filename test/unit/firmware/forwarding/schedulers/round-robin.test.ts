import { describe, expect, it } from 'vitest';
import { RoundRobin } from '../../../../../firmware/forwarding/schedulers/round-robin.js';
import { all, makePool, mask, sequence } from './pool.js';

describe('round-robin', () => {
  it('rotates over every backend, ignoring weights', () => {
    const pool = makePool([5, 1, 1]);
    const rr = new RoundRobin(pool);
    const eligible = all(pool);
    expect(sequence(() => rr.pick(0, eligible), 7)).toBe('abcabca');
  });

  it('skips ineligible backends and keeps its place in the rotation', () => {
    const pool = makePool([1, 1, 1, 1]);
    const rr = new RoundRobin(pool);
    expect(sequence(() => rr.pick(0, all(pool)), 2)).toBe('ab');
    // c becomes full: the rotation goes on from c's successor rather than restarting at a.
    expect(sequence(() => rr.pick(0, mask([1, 1, 0, 1])), 4)).toBe('dabd');
  });

  it('never chooses a weight-0 backend even if the mask lets it through', () => {
    const pool = makePool([1, 0, 1]);
    const rr = new RoundRobin(pool);
    expect(sequence(() => rr.pick(0, mask([1, 1, 1])), 6)).toBe('acacac');
  });

  it('returns -1 when nothing is eligible', () => {
    const pool = makePool([1, 1]);
    const rr = new RoundRobin(pool);
    expect(rr.pick(0, mask([0, 0]))).toBe(-1);
    expect(new RoundRobin(makePool([])).pick(0, mask([]))).toBe(-1);
  });
});
