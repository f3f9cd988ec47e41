import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Counter64Array } from '../../../../firmware/forwarding/counter64.js';

describe('Counter64Array', () => {
  it('carries into the high half and wraps at 2^64 like an SNMP Counter64', () => {
    const c = new Counter64Array(1);
    c.set(0, 2n ** 32n - 10n);
    c.add(0, 15);
    expect(c.get(0)).toBe(2n ** 32n + 5n);
    c.set(0, 2n ** 64n - 3n);
    c.add(0, 5);
    expect(c.get(0)).toBe(2n);
  });

  it('equals BigInt arithmetic mod 2^64 for any sequence of additions', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), (start, adds) => {
        const c = new Counter64Array(2);
        c.set(1, start);
        let model = start;
        for (const a of adds) {
          c.add(1, a);
          model = BigInt.asUintN(64, model + BigInt(a));
        }
        expect(c.get(1)).toBe(model);
        expect(c.get(0)).toBe(0n);
      }),
    );
  });
});
