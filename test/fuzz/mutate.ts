/**
 * Byte mutations of valid encodings, the way a noisy line, a truncated file or a confused peer
 * damages them: bit flips, overwritten bytes and words (with boundary values), truncation, cut
 * ranges, inserted garbage, repeated slices and splices with another valid encoding. Mutations
 * are data (positions as naturals taken modulo the length), so fast-check can shrink them.
 */

import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'word'; at: number; width: 2 | 4; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'cut'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number; to: number }
  | { kind: 'splice'; at: number; from: number; length: number };

/** Values that sit on the edges of length and count fields. */
const BOUNDARY = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff] as const;

const position = fc.nat({ max: 1 << 20 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80), fc.integer({ min: 0, max: 255 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('word' as const),
      at: position,
      width: fc.constantFrom(2 as const, 4 as const),
      value: fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat()),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), at: position, length: fc.integer({ min: 1, max: 64 }), to: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), at: position, from: position, length: fc.integer({ min: 1, max: 256 }) }) },
);

/** Applies `mutations` in order to a copy of `bytes`; `donor` feeds splices (another valid encoding). */
export function mutate(bytes: Uint8Array, mutations: readonly Mutation[], donor: Uint8Array = bytes): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  for (const m of mutations) out = apply(out, m, donor);
  return out;
}

function apply(b: Uint8Array, m: Mutation, donor: Uint8Array): Uint8Array {
  const at = (n: number, span = b.length) => (span === 0 ? 0 : n % span);
  switch (m.kind) {
    case 'flip': {
      if (b.length === 0) return b;
      const i = at(m.at);
      b[i]! ^= 1 << m.bit;
      return b;
    }
    case 'set':
      if (b.length > 0) b[at(m.at)] = m.value;
      return b;
    case 'word': {
      if (b.length < m.width) return b;
      const i = at(m.at, b.length - m.width + 1);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (m.width === 2) view.setUint16(i, m.value & 0xffff);
      else view.setUint32(i, m.value >>> 0);
      return b;
    }
    case 'truncate':
      return b.subarray(0, at(m.at, b.length + 1));
    case 'cut': {
      const i = at(m.at, b.length + 1);
      return concat(b.subarray(0, i), b.subarray(i + m.length));
    }
    case 'insert': {
      const i = at(m.at, b.length + 1);
      return concat(b.subarray(0, i), m.bytes, b.subarray(i));
    }
    case 'repeat': {
      const i = at(m.at, b.length + 1);
      const slice = b.subarray(i, i + m.length);
      const to = at(m.to, b.length + 1);
      return concat(b.subarray(0, to), slice, b.subarray(to));
    }
    case 'splice': {
      const i = at(m.at, b.length + 1);
      const from = at(m.from, donor.length + 1);
      return concat(b.subarray(0, i), donor.subarray(from, from + m.length), b.subarray(i));
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One to `max` mutations. */
export const mutations = (max = 4): fc.Arbitrary<Mutation[]> => fc.array(mutation, { minLength: 1, maxLength: max });
