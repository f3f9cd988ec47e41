import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PATCH_FORMAT, PatchError, applyPatch, computePatch } from '../../../../src/protocol/rules/patch.js';
import { bigTable, encode, withWeight } from '../serial/big-table.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function roundTrip(base: Uint8Array, next: Uint8Array): Uint8Array {
  const patch = computePatch(base, next);
  expect(hex(applyPatch(base, patch))).toBe(hex(next));
  return patch;
}

function patchError(base: Uint8Array, patch: Uint8Array): PatchError {
  try {
    applyPatch(base, patch);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchError);
    return error as PatchError;
  }
  throw new Error('expected a PatchError');
}

/** `base` with a few bytes replaced, inserted or deleted at the given places. */
type Edit = { at: number; kind: 'replace' | 'insert' | 'delete'; bytes: Uint8Array };
function mutate(base: Uint8Array, edits: Edit[]): Uint8Array {
  const out = Array.from(base);
  for (const { at, kind, bytes } of [...edits].sort((a, b) => b.at - a.at)) {
    const i = out.length === 0 ? 0 : at % (out.length + 1);
    if (kind === 'insert') out.splice(i, 0, ...bytes);
    else if (kind === 'delete') out.splice(i, bytes.length);
    else out.splice(i, bytes.length, ...bytes);
  }
  return Uint8Array.from(out);
}
const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace' as const, 'insert' as const, 'delete' as const),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
});

describe('rule-table patches', () => {
  const base = encode(bigTable());

  it('encodes the documented format by hand', () => {
    // base "abcdefgh" → "abcXefgh": copy 3 (delta 0), insert "X", copy 4 (delta +1 skips "d").
    const patch = computePatch(new TextEncoder().encode('abcdefgh'), new TextEncoder().encode('abcXefgh'));
    expect(hex(patch)).toBe(hex(fromHex(`${PATCH_FORMAT.toString(16).padStart(2, '0')} 08 08  06 00  03 58  08 02`)));
  });

  it('turns one weight change in a 200-service table into a patch of at most 20 bytes', () => {
    expect(base.length).toBeGreaterThan(15_000);
    for (const [s, b, w] of [
      [0, 0, 11],
      [123, 2, 300],
      [199, 3, 65_535],
      [57, 1, 0],
    ] as const) {
      const next = encode(withWeight(bigTable(), s, b, w));
      const patch = roundTrip(base, next);
      expect(patch.length, `service ${s} backend ${b} weight ${w}`).toBeLessThanOrEqual(20);
    }
  });

  it('makes scattered changes cost in proportion to the changes', () => {
    let table = bigTable();
    const sizes: number[] = [];
    for (let n = 1; n <= 8; n++) {
      table = withWeight(table, n * 23, n % 4, 1000 + n);
      sizes.push(roundTrip(base, encode(table)).length);
    }
    // Each further change adds one small copy + insert pair, never a re-send of the table.
    for (let n = 1; n < sizes.length; n++) expect(sizes[n]! - sizes[n - 1]!).toBeLessThanOrEqual(8);
    expect(sizes.at(-1)).toBeLessThanOrEqual(64);
  });

  it('sends little more than the new record when a backend or a service is added', () => {
    const table = bigTable();
    const withBackend = {
      services: table.services.map((s, i) => (i !== 100 ? s : { ...s, backends: [...s.backends, { ...s.backends[0]!, address: '10.2.0.100:9000' }] })),
    };
    expect(roundTrip(base, encode(withBackend)).length).toBeLessThanOrEqual(15 + 30);
    const extra = bigTable(201).services.at(-1)!;
    const withService = { services: [...table.services, extra] };
    const record = encode({ services: [extra] }).length - 7; // the service's own bytes
    expect(roundTrip(base, encode(withService)).length).toBeLessThanOrEqual(record + 30);
  });

  it('copies moved and duplicated blocks instead of resending them', () => {
    const a = new Uint8Array(randomBytes(20_000));
    const moved = Uint8Array.from([...a.subarray(10_000), ...a.subarray(0, 10_000)]);
    expect(roundTrip(a, moved).length).toBeLessThanOrEqual(20);
    const doubled = Uint8Array.from([...a, ...a]);
    expect(roundTrip(a, doubled).length).toBeLessThanOrEqual(20);
    const inserted = Uint8Array.from([...a.subarray(0, 7_001), ...randomBytes(100), ...a.subarray(7_001)]);
    expect(roundTrip(a, inserted).length).toBeLessThanOrEqual(100 + 20);
  });

  it('never makes a patch much bigger than the new bytes themselves', () => {
    const a = new Uint8Array(randomBytes(10_000));
    const b = new Uint8Array(randomBytes(12_000));
    expect(roundTrip(a, b).length).toBeLessThanOrEqual(b.length + 10);
    expect(roundTrip(new Uint8Array(0), b).length).toBeLessThanOrEqual(b.length + 10);
    expect(roundTrip(a, new Uint8Array(0)).length).toBe(4); // format, two lengths, no edits
    expect(roundTrip(a, a).length).toBeLessThanOrEqual(10);
  });

  it('stays fast on 1 MB inputs (linear time)', () => {
    const a = new Uint8Array(randomBytes(1 << 20));
    const b = a.slice();
    for (let i = 0; i < 50; i++) b[(i * 20_011) % b.length]! ^= 0x5a;
    const zeros = new Uint8Array(1 << 20);
    const zerosEdited = zeros.slice();
    zerosEdited[500_000] = 1;
    const start = performance.now();
    const patch = roundTrip(a, b);
    roundTrip(zeros, zerosEdited);
    roundTrip(a, new Uint8Array(randomBytes(1 << 20)));
    roundTrip(zeros, a);
    expect(patch.length).toBeLessThanOrEqual(50 * 12);
    expect(performance.now() - start).toBeLessThan(5_000);
  });

  it('applyPatch(a, computePatch(a, b)) is b for arbitrary a and b', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), (a, b) => {
        roundTrip(a, b);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips small mutations, with patches proportional to the mutation', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 200, maxLength: 3000 }), fc.constant(base)),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (a, edits) => {
          const b = mutate(a, edits);
          const patch = roundTrip(a, b);
          expect(patch.length).toBeLessThanOrEqual(8 + edits.length * 40);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws only PatchError on garbage patches', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 60 }), (a, garbage) => {
        try {
          applyPatch(a, garbage);
        } catch (error) {
          expect(error).toBeInstanceOf(PatchError);
        }
        // Garbage that starts like a patch for this base gets further before failing.
        const plausible = Uint8Array.from([PATCH_FORMAT, a.length, ...garbage]);
        try {
          applyPatch(a, plausible);
        } catch (error) {
          expect(error).toBeInstanceOf(PatchError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a patch that does not fit the base, or is malformed, saying where', () => {
    const a = new TextEncoder().encode('abcdefgh');
    const good = computePatch(a, new TextEncoder().encode('abcXefgh'));
    expect(patchError(a, new Uint8Array(0)).message).toMatch(/truncated/);
    expect(patchError(a, Uint8Array.of(9, 8, 8)).message).toMatch(/unknown patch format 9/);
    expect(patchError(new TextEncoder().encode('abcdefg'), good).offset).toBe(1); // another base length
    expect(patchError(a, good.subarray(0, good.length - 1)).message).toMatch(/truncated/);
    expect(patchError(a, Uint8Array.of(1, 8, 8, 0x10, 0x02)).message).toMatch(/outside the base/); // copy 8 from 1
    expect(patchError(a, Uint8Array.of(1, 8, 8, 0x10, 0x01)).message).toMatch(/outside the base/); // copy from -1
    expect(patchError(a, Uint8Array.of(1, 8, 8, 0x00)).message).toMatch(/empty edit/);
    expect(patchError(a, Uint8Array.of(1, 8, 8, 0x12, 0x00)).message).toMatch(/overruns/); // copy 9 > 8
    expect(patchError(a, Uint8Array.of(1, 8, 8, 0x06, 0x00)).message).toMatch(/produce 3 bytes, the patch announces 8/);
    expect(patchError(a, Uint8Array.of(1, 8, 0x80, 0x00)).message).toMatch(/not minimally encoded/);
    expect(patchError(a, Uint8Array.of(1, 8, 0xff, 0xff, 0xff, 0xff, 0x7f)).message).toMatch(/exceeds the limit/);
  });
});
