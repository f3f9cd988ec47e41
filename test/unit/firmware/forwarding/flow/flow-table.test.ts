import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowTable, type FlowTableOptions } from '../../../../../firmware/forwarding/flow/flow-table.js';
import { hashWords } from '../../../../../firmware/forwarding/flow/hash.js';

const key = (...words: number[]) => Uint32Array.from(words);

function table(options: Partial<FlowTableOptions> = {}): { t: FlowTable; expired: number[] } {
  const expired: number[] = [];
  const t = new FlowTable({ keyWords: 3, maxEntries: 16, idleTimeoutMs: 1_000, onExpire: (v) => expired.push(v), ...options });
  return { t, expired };
}

/** Keys of width 3 whose home slot is `slot` in a table of `slots` slots. */
function collidingKeys(count: number, slots: number, slot = 0): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; out.length < count; i++) {
    const k = key(1, i, 80);
    if (((hashWords(k, 3) || 1) & (slots - 1)) === slot) out.push(k);
  }
  return out;
}

describe('FlowTable', () => {
  it('sizes itself to a power of two at load ≤ 0.75', () => {
    expect(table({ maxEntries: 16 }).t.slots).toBe(32);
    expect(table({ maxEntries: 12 }).t.slots).toBe(16);
    expect(table({ maxEntries: 1_000_000 }).t.slots).toBe(2 ** 21);
  });

  it('refuses nonsensical options', () => {
    expect(() => table({ keyWords: 0 })).toThrow(RangeError);
    expect(() => table({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => table({ idleTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => table({ idleTimeoutMs: 2 ** 31 })).toThrow(RangeError);
  });

  it('inserts, finds, overwrites and deletes', () => {
    const { t } = table();
    expect(t.get(key(1, 2, 3), 0)).toBe(-1);
    expect(t.set(key(1, 2, 3), 7, 0)).toBe(true);
    expect(t.set(key(1, 2, 4), -5, 0)).toBe(true);
    expect(t.get(key(1, 2, 3), 0)).toBe(7);
    expect(t.get(key(1, 2, 4), 0)).toBe(-5);
    expect(t.size).toBe(2);
    expect(t.set(key(1, 2, 3), 8, 0)).toBe(true);
    expect(t.get(key(1, 2, 3), 0)).toBe(8);
    expect(t.size).toBe(2);
    expect(t.delete(key(1, 2, 3))).toBe(true);
    expect(t.delete(key(1, 2, 3))).toBe(false);
    expect(t.get(key(1, 2, 3), 0)).toBe(-1);
    expect(t.get(key(1, 2, 4), 0)).toBe(-5);
    expect(t.size).toBe(1);
  });

  it('tells keys apart by every word, at widths 1 and 6', () => {
    const { t } = table({ keyWords: 6 });
    for (let w = 0; w < 6; w++) {
      const k = key(1, 2, 3, 4, 5, 6);
      k[w] = 100;
      t.set(k, w, 0);
    }
    t.set(key(1, 2, 3, 4, 5, 6), 99, 0);
    for (let w = 0; w < 6; w++) {
      const k = key(1, 2, 3, 4, 5, 6);
      k[w] = 100;
      expect(t.get(k, 0)).toBe(w);
    }
    expect(t.get(key(1, 2, 3, 4, 5, 6), 0)).toBe(99);
    const narrow = table({ keyWords: 1 }).t;
    narrow.set(key(0xffffffff), 1, 0);
    expect(narrow.get(key(0xffffffff), 0)).toBe(1);
    expect(narrow.get(key(0x7fffffff), 0)).toBe(-1);
  });

  it('expires idle entries, a hit refreshing the timer, and reports them', () => {
    const { t, expired } = table();
    t.set(key(1, 1, 1), 11, 0);
    t.set(key(2, 2, 2), 22, 0);
    expect(t.get(key(1, 1, 1), 999)).toBe(11);
    expect(t.get(key(1, 1, 1), 1_998)).toBe(11); // refreshed at 999
    expect(t.get(key(2, 2, 2), 1_000)).toBe(-1); // idle exactly the timeout
    expect(expired).toEqual([22]);
    expect(t.size).toBe(1);
    expect(t.get(key(1, 1, 1), 3_000)).toBe(-1);
    expect(expired).toEqual([22, 11]);
    expect(t.size).toBe(0);
  });

  it('does not expire an entry for a caller whose clock is a little behind', () => {
    const { t } = table();
    t.set(key(1, 1, 1), 1, 5_000);
    expect(t.get(key(1, 1, 1), 4_990)).toBe(1);
  });

  it('works with epoch milliseconds and across the 2^32 wrap of its stored times', () => {
    const { t, expired } = table({ idleTimeoutMs: 100 });
    const start = 2 ** 32 * 400 - 50; // ≈ 1.7e12, 50 ms before a wrap
    t.set(key(1, 1, 1), 1, start);
    expect(t.get(key(1, 1, 1), start + 99)).toBe(1);
    expect(t.get(key(1, 1, 1), start + 199)).toBe(-1);
    expect(expired).toEqual([1]);
  });

  it('refuses a new key when full, and takes it once an entry is deleted or swept', () => {
    const { t, expired } = table({ maxEntries: 4 });
    for (let i = 0; i < 4; i++) expect(t.set(key(i, i, i), i, 0)).toBe(true);
    expect(t.set(key(9, 9, 9), 9, 10)).toBe(false);
    expect(t.set(key(2, 2, 2), 20, 10)).toBe(true); // overwriting is not growing
    t.delete(key(0, 0, 0));
    expect(t.set(key(9, 9, 9), 9, 10)).toBe(true);
    expect(t.set(key(8, 8, 8), 8, 10)).toBe(false);
    expect(t.sweep(1_005, t.slots)).toBe(2); // 1 and 3, untouched since 0
    expect(expired.sort()).toEqual([1, 3]);
    expect(t.set(key(8, 8, 8), 8, 1_005)).toBe(true);
  });

  it('reclaims expired entries on the probe path when full', () => {
    const { t, expired } = table({ maxEntries: 4 });
    const keys = collidingKeys(5, t.slots, 3);
    for (let i = 0; i < 4; i++) t.set(keys[i]!, i, i === 0 ? 0 : 500);
    expect(t.set(keys[4]!, 4, 500)).toBe(false);
    // 1, 2 and 3 were touched later: at 1,000 only 0 has been idle for the timeout.
    expect(t.set(keys[4]!, 4, 1_000)).toBe(true);
    expect(expired).toEqual([0]);
    expect(t.get(keys[4]!, 1_000)).toBe(4);
    expect(t.size).toBe(4);
    // All expired by 2,000: the whole path is reclaimed on the way to the insertion point.
    expect(t.set(keys[0]!, 5, 2_000)).toBe(true);
    expect(expired.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(t.size).toBe(1);
  });

  it('reports the old flow when an expired key is set again', () => {
    const { t, expired } = table();
    t.set(key(1, 1, 1), 5, 0);
    t.set(key(1, 1, 1), 6, 2_000);
    expect(expired).toEqual([5]);
    expect(t.get(key(1, 1, 1), 2_000)).toBe(6);
  });

  it('keeps colliding keys reachable across deletions (backward shift)', () => {
    const { t } = table({ maxEntries: 12 });
    const keys = collidingKeys(8, t.slots, t.slots - 2); // the cluster wraps past the end
    keys.forEach((k, i) => t.set(k, i, 0));
    for (const gone of [0, 3, 6]) {
      expect(t.delete(keys[gone]!)).toBe(true);
      keys.forEach((k, i) => {
        const deleted = i === 0 || (i === 3 && gone >= 3) || (i === 6 && gone >= 6);
        expect(t.get(k, 0)).toBe(deleted ? -1 : i);
      });
    }
    expect(t.size).toBe(5);
  });

  it('sweeps a bounded number of slots per call, resuming where it stopped', () => {
    const { t, expired } = table({ maxEntries: 96 });
    for (let i = 0; i < 96; i++) t.set(key(i, 0, 0), i, i < 48 ? 0 : 900);
    let calls = 0;
    while (expired.length < 48 && calls < 100) {
      expect(t.sweep(1_500, 16)).toBeLessThanOrEqual(16);
      calls++;
    }
    expect(calls).toBeLessThanOrEqual(t.slots / 16);
    expect(calls).toBeGreaterThan(1);
    expect(expired.sort((a, b) => a - b)).toEqual(Array.from({ length: 48 }, (_, i) => i));
    expect(t.size).toBe(48);
    for (let i = 48; i < 96; i++) expect(t.get(key(i, 0, 0), 1_500)).toBe(i);
  });

  it('visits every entry with its key', () => {
    const { t } = table();
    for (let i = 0; i < 10; i++) t.set(key(i, 2 * i, 3 * i), 100 + i, 0);
    t.delete(key(4, 8, 12));
    const seen = new Map<number, number[]>();
    t.forEach((value, k) => seen.set(value, [...k]));
    expect(seen.size).toBe(9);
    expect(seen.has(104)).toBe(false);
    expect(seen.get(107)).toEqual([7, 14, 21]);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get(key(7, 14, 21), 0)).toBe(-1);
  });

  it('behaves like a Map under random operations (no expiry)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), k: fc.nat(23), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
      fc.record({ kind: fc.constant('delete' as const), k: fc.nat(23) }),
      fc.record({ kind: fc.constant('get' as const), k: fc.nat(23) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        // 24 keys but room for 20, in 32 slots: long clusters, wrap-around and refusals.
        const t = new FlowTable({ keyWords: 2, maxEntries: 20, idleTimeoutMs: 2 ** 31 - 1 });
        const model = new Map<number, number>();
        const k2 = (k: number) => key(k % 3, k);
        for (const o of ops) {
          if (o.kind === 'set') {
            const fits = model.has(o.k) || model.size < 20;
            expect(t.set(k2(o.k), o.v, 0)).toBe(fits);
            if (fits) model.set(o.k, o.v);
          } else if (o.kind === 'delete') {
            expect(t.delete(k2(o.k))).toBe(model.delete(o.k));
          } else {
            expect(t.get(k2(o.k), 0)).toBe(model.get(o.k) ?? -1);
          }
          expect(t.size).toBe(model.size);
        }
        for (let k = 0; k < 24; k++) expect(t.get(k2(k), 0)).toBe(model.get(k) ?? -1);
      }),
      { numRuns: 300 },
    );
  });

  it('behaves like a Map with idle expiry under random operations and time steps', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), k: fc.nat(15) }),
      fc.record({ kind: fc.constant('delete' as const), k: fc.nat(15) }),
      fc.record({ kind: fc.constant('get' as const), k: fc.nat(15) }),
      fc.record({ kind: fc.constant('sweep' as const), slots: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const reported: number[] = [];
        // Room for every key, so a set never fails and the model needs no eviction policy.
        const t = new FlowTable({ keyWords: 1, maxEntries: 16, idleTimeoutMs: 100, onExpire: (v) => reported.push(v) });
        // What the table logically holds. When an entry is reclaimed is up to the table (any
        // probe passing by may do it), so the model only says what must have happened by when.
        const model = new Map<number, { value: number; seen: number }>();
        const owed = new Set<number>(); // expired values the table must have reported
        let now = 0;
        let serial = 0;
        const expired = (e: { seen: number } | undefined) => e !== undefined && now - e.seen >= 100;
        const settle = (k: number) => {
          const e = model.get(k);
          if (e && expired(e)) {
            model.delete(k);
            owed.add(e.value);
          }
          return model.get(k);
        };
        for (const o of ops) {
          if (o.kind === 'wait') now += o.ms;
          else if (o.kind === 'set') {
            settle(o.k);
            expect(t.set(key(o.k), ++serial, now)).toBe(true);
            model.set(o.k, { value: serial, seen: now });
          } else if (o.kind === 'get') {
            const e = settle(o.k);
            expect(t.get(key(o.k), now)).toBe(e ? e.value : -1);
            if (e) e.seen = now;
          } else if (o.kind === 'delete') {
            const e = model.get(o.k);
            // An expired entry is deleted if the table had not reclaimed (and reported) it yet.
            const present = e !== undefined && !(expired(e) && reported.includes(e.value));
            expect(t.delete(key(o.k))).toBe(present);
            model.delete(o.k);
          } else {
            t.sweep(now, o.slots);
          }
          for (const v of owed) expect(reported).toContain(v);
          for (const e of model.values()) if (!expired(e)) expect(reported).not.toContain(e.value);
          expect(new Set(reported).size).toBe(reported.length);
        }
        // A full sweep reclaims everything that has expired, and leaves the rest.
        t.sweep(now, t.slots * 2);
        for (let k = 0; k < 16; k++) settle(k);
        for (const v of owed) expect(reported).toContain(v);
        expect(t.size).toBe(model.size);
      }),
      { numRuns: 300 },
    );
  });
});
