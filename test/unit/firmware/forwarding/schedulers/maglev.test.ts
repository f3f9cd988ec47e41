import { describe, expect, it } from 'vitest';
import { hashFlow4 } from '../../../../../firmware/forwarding/flow/hash.js';
import { createRandom } from '../../../../../firmware/forwarding/flow/random.js';
import { Maglev } from '../../../../../firmware/forwarding/schedulers/maglev.js';
import { all, equalPool, makePool, mask, type TestPool } from './pool.js';

const M = 65_537;

function build(pool: TestPool, candidates = all(pool), tableSize = M): Maglev {
  const maglev = new Maglev(pool, tableSize);
  maglev.update(candidates);
  return maglev;
}

function entries(maglev: Maglev, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const b of maglev.table) if (b >= 0) counts[b]!++;
  return counts;
}

function changed(a: Int32Array, b: Int32Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

function flowHashes(count: number, seed: number): Uint32Array {
  const random = createRandom(seed);
  return Uint32Array.from({ length: count }, () => hashFlow4((random() * 2 ** 32) >>> 0, 1024 + Math.floor(random() * 64_000), 0xc0000201, 443, 6));
}

describe('maglev', () => {
  it('refuses a table size that is not a prime', () => {
    expect(() => new Maglev(equalPool(3), 65_536)).toThrow(RangeError);
    expect(() => new Maglev(equalPool(3), 1)).toThrow(RangeError);
    expect(() => new Maglev(equalPool(3), 251)).not.toThrow();
  });

  it('gives each of 1,000 equal backends ⌊M/N⌋ or ⌈M/N⌉ entries (max/min ≤ 1.02)', () => {
    const maglev = build(equalPool(1_000));
    const counts = entries(maglev, 1_000);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(M);
    expect(Math.min(...counts)).toBe(65);
    expect(Math.max(...counts)).toBe(66);
    expect(Math.max(...counts) / Math.min(...counts)).toBeLessThanOrEqual(1.02);
  });

  it('gives weighted backends entries in proportion to weight', () => {
    const random = createRandom(5);
    const weights = Array.from({ length: 50 }, () => 1 + Math.floor(random() * 100));
    const counts = entries(build(makePool(weights)), 50);
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => expect(Math.abs(counts[i]! - (M * w) / total)).toBeLessThanOrEqual(2));
  });

  it('does not starve small weights next to a huge one', () => {
    const weights = [65_535, ...new Array<number>(999).fill(1)];
    const counts = entries(build(makePool(weights)), 1_000);
    // Each 1 is owed 0.985 entries and gets 1; the big one is within 0.1% of its share.
    expect(counts.slice(1).every((c) => c === 1)).toBe(true);
    expect(Math.abs(counts[0]! / ((M * 65_535) / 66_534) - 1)).toBeLessThan(0.001);
  });

  it('leaves out weight-0 backends and backends that are not candidates', () => {
    const pool = makePool([1, 0, 1, 1]);
    const counts = entries(build(pool, mask([1, 1, 0, 1]), 1_009), 4);
    expect(counts[1]).toBe(0);
    expect(counts[2]).toBe(0);
    expect(counts[0]! + counts[3]!).toBe(1_009);
  });

  it('builds the same table every time, in the same or a new instance', () => {
    const pool = makePool([3, 1, 2, 5, 1]);
    const a = build(pool);
    const first = a.table.slice();
    a.update(mask([1, 0, 1, 1, 0]));
    a.update(all(pool));
    expect(changed(a.table, first)).toBe(0);
    expect(changed(build(pool).table, first)).toBe(0);
  });

  it('moves few entries when one of 1,000 backends is removed (paper: 0.64%, ideal 0.1%)', () => {
    const pool = equalPool(1_000);
    const maglev = build(pool);
    const before = maglev.table.slice();
    const candidates = all(pool);
    candidates[500] = 0;
    maglev.update(candidates);
    let fromRemoved = 0;
    for (const b of before) if (b === 500) fromRemoved++;
    const moved = changed(before, maglev.table);
    expect(moved).toBeGreaterThanOrEqual(fromRemoved);
    expect(moved / M).toBeLessThan(0.01);
    expect(maglev.table.includes(500)).toBe(false);
    // Putting it back restores the original table exactly.
    maglev.update(all(pool));
    expect(changed(maglev.table, before)).toBe(0);
  });

  it('keeps flows where they were unless their backend went away, give or take a small fraction', () => {
    const pool = equalPool(100);
    const maglev = build(pool);
    const eligible = all(pool);
    const hashes = flowHashes(100_000, 9);
    const before = Int32Array.from(hashes, (h) => maglev.pick(h, eligible));
    const candidates = all(pool);
    candidates[17] = 0;
    maglev.update(candidates);
    let stayedAway = 0;
    let movedOthers = 0;
    let others = 0;
    hashes.forEach((h, i) => {
      const now = maglev.pick(h, candidates);
      if (before[i] === 17) {
        if (now !== 17) stayedAway++;
      } else {
        others++;
        if (now !== before[i]) movedOthers++;
      }
    });
    expect(stayedAway).toBe(100_000 - others);
    expect(movedOthers / others).toBeLessThan(0.02);
  });

  it('maps a flow to table[hash mod M]', () => {
    const pool = equalPool(10);
    const maglev = build(pool);
    for (const h of flowHashes(1_000, 3)) expect(maglev.pick(h, all(pool))).toBe(maglev.table[h % M]);
  });

  it('probes forward, deterministically, past a backend that is momentarily full', () => {
    const pool = equalPool(20);
    const maglev = build(pool);
    const eligible = all(pool);
    const spill = new Array<number>(20).fill(0);
    for (const h of flowHashes(2_000, 4)) {
      const home = maglev.pick(h, eligible);
      eligible[home] = 0;
      let slot = h % M;
      while (maglev.table[slot] === home) slot = (slot + 1) % M;
      const next = maglev.pick(h, eligible);
      expect(next).toBe(maglev.table[slot]);
      expect(maglev.pick(h, eligible)).toBe(next);
      spill[next]!++;
      eligible[home] = 1;
    }
    // A full backend's flows spread over the others rather than piling on one neighbour.
    expect(Math.max(...spill)).toBeLessThan((2_000 / 19) * 1.6);
  });

  it('finds the last eligible backend even when almost the whole table is full', () => {
    const pool = equalPool(1_000);
    const maglev = build(pool);
    const eligible = new Uint8Array(1_000);
    eligible[123] = 1;
    for (const h of flowHashes(100, 6)) expect(maglev.pick(h, eligible)).toBe(123);
  });

  it('returns -1 when nothing is eligible or there is no candidate', () => {
    const pool = equalPool(5);
    const maglev = build(pool);
    expect(maglev.pick(12345, new Uint8Array(5))).toBe(-1);
    maglev.update(new Uint8Array(5));
    expect(maglev.table.every((b) => b === -1)).toBe(true);
    expect(maglev.pick(12345, new Uint8Array(5))).toBe(-1);
  });
});
