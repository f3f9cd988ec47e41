/**
 * A compact binary patch from one byte string to another — in practice from the canonical
 * encoding of the running rule table to that of the candidate, so a small edit crosses a
 * 115200-baud console line as a few dozen bytes instead of the whole table.
 *
 *   patch := u8 format (1)  varint baseLength  varint resultLength  edit*
 *   edit  := varint (n << 1 | 0)  zigzag varint delta     -- copy n bytes from the base
 *          | varint (n << 1 | 1)  n literal bytes         -- insert n bytes
 *
 * Varints are unsigned LEB128, minimally encoded. A copy reads base[p, p + n) where
 * p = cursor + delta; the cursor starts at 0 and moves to p + n after each copy, so the copies
 * of a mostly unchanged table have deltas of 0 or a few bytes (one varint byte each).
 * zigzag(d) = 2d for d ≥ 0, −2d − 1 for d < 0. Every edit has n ≥ 1; the edits must produce
 * exactly resultLength bytes, and baseLength must be the length of the base the patch is
 * applied to. Nothing else about the result is checked here: the transfer that carries a patch
 * also carries a prefix of the result's SHA-256 (put-begin), which the appliance verifies.
 *
 * Computing one is linear in the sizes. The common prefix and suffix are copied as they are
 * (one weight changed in a 21 KB, 200-service table → copy, insert 1–2 bytes, copy: 17–18 bytes
 * in all). The middle is matched rsync-style: a rolling hash over every 16-byte window of the new
 * bytes is looked up among the base's aligned 16-byte blocks, and each hit is extended both
 * ways. Two refinements matter for rule tables, which repeat themselves (health checks, backend
 * records that differ in one byte): the position right after the last copy is tried first (a
 * same-size edit resumes there), and among equal blocks the one nearest that position is
 * chosen. So scattered edits cost a few bytes each (6–7 for a changed weight) and moved blocks
 * are still copied. A match always saves more than its edit costs, so no patch is more than a
 * few bytes longer than the new bytes inserted whole.
 */

import { BytesError, ByteReader, ByteWriter } from '../bytes/index.js';

export const PATCH_FORMAT = 1;

/** Default ceiling on a patch's result: far above any rule table, far below what would hurt an appliance. */
export const PATCH_MAX_RESULT_BYTES = 16 * 1024 * 1024;

/** A patch that is malformed or does not fit the base. `offset` is the byte of the patch where applying found out. */
export class PatchError extends BytesError {
  override readonly name = 'PatchError';

  constructor(message: string, offset: number) {
    super(message, offset, 'patch byte');
  }
}

const COPY = 0;
const INSERT = 1;

/** Window and block size of the matcher: long enough that a match always pays for its edit. */
const BLOCK = 16;
/** Hash multiplier (the FNV prime); arithmetic is mod 2^32 via Math.imul. */
const MULTIPLIER = 0x01000193;

const zigzag = (delta: number): number => (delta >= 0 ? delta * 2 : -delta * 2 - 1);
const unzigzag = (value: number): number => (value % 2 === 0 ? value / 2 : -(value + 1) / 2);

class PatchWriter {
  readonly out = new ByteWriter(64);
  /** Where the last copy ended in the base. */
  cursor = 0;

  copy(position: number, length: number): void {
    this.out.varint(length * 2 + COPY);
    this.out.varint(zigzag(position - this.cursor));
    this.cursor = position + length;
  }

  insert(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.out.varint(bytes.length * 2 + INSERT);
    this.out.bytes(bytes);
  }
}

function hashBlock(bytes: Uint8Array, at: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, MULTIPLIER) + bytes[at + i]!) | 0;
  return h;
}

/** MULTIPLIER^(BLOCK-1) mod 2^32: the weight of the byte leaving the window. */
const OUTGOING_WEIGHT = (() => {
  let w = 1;
  for (let i = 1; i < BLOCK; i++) w = Math.imul(w, MULTIPLIER);
  return w;
})();

/** How many same-hash blocks a lookup inspects: bounds the work on highly repetitive bases. */
const MAX_CANDIDATES = 32;

/**
 * Index of the base's aligned blocks by hash. Equal blocks are chained, because a rule table
 * repeats itself (health checks, backend records differing in one byte) and the right source
 * for a copy is the occurrence nearest where the base is being read, not the first one.
 */
class BlockIndex {
  private readonly keys: Int32Array;
  /** Slot → the last block with that hash (block number), or -1. */
  private readonly heads: Int32Array;
  /** Block → the previous block with the same hash, or -1. */
  private readonly chain: Int32Array;
  private readonly mask: number;

  constructor(private readonly base: Uint8Array) {
    const blocks = Math.floor(base.length / BLOCK);
    let size = 16;
    while (size < blocks * 2) size *= 2;
    this.mask = size - 1;
    this.keys = new Int32Array(size);
    this.heads = new Int32Array(size).fill(-1);
    this.chain = new Int32Array(blocks);
    for (let b = 0; b < blocks; b++) {
      const h = hashBlock(base, b * BLOCK);
      const slot = this.slot(h);
      this.keys[slot] = h;
      this.chain[b] = this.heads[slot]!;
      this.heads[slot] = b;
    }
  }

  private slot(h: number): number {
    let slot = (Math.imul(h ^ (h >>> 16), 0x9e3779b1) >>> 0) & this.mask;
    while (this.heads[slot]! >= 0 && this.keys[slot] !== h) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** The base position of a block equal to next[at, at + BLOCK) (hash `h`) nearest `expected`, or -1. */
  find(h: number, next: Uint8Array, at: number, expected: number): number {
    let best = -1;
    let bestDistance = Infinity;
    let block = this.heads[this.slot(h)]!;
    for (let tries = 0; block >= 0 && tries < MAX_CANDIDATES; tries++, block = this.chain[block]!) {
      const position = block * BLOCK;
      const distance = Math.abs(position - expected);
      if (distance < bestDistance && sameBlock(this.base, position, next, at)) {
        best = position;
        bestDistance = distance;
      }
    }
    return best;
  }
}

function sameBlock(a: Uint8Array, at: number, b: Uint8Array, bt: number): boolean {
  for (let i = 0; i < BLOCK; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/** A patch that turns `base` into `next`. Deterministic: the same inputs give the same patch. */
export function computePatch(base: Uint8Array, next: Uint8Array): Uint8Array {
  const patch = new PatchWriter();
  patch.out.u8(PATCH_FORMAT);
  patch.out.varint(base.length);
  patch.out.varint(next.length);

  const shorter = Math.min(base.length, next.length);
  let prefix = 0;
  while (prefix < shorter && base[prefix] === next[prefix]) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && base[base.length - 1 - suffix] === next[next.length - 1 - suffix]) suffix++;

  if (prefix > 0) patch.copy(0, prefix);
  const middleEnd = next.length - suffix;
  matchMiddle(patch, base, next, prefix, middleEnd);
  if (suffix > 0) patch.copy(base.length - suffix, suffix);
  return patch.out.finish();
}

/** Emits edits for next[start, end): copies of whatever the base already holds, literals for the rest. */
function matchMiddle(patch: PatchWriter, base: Uint8Array, next: Uint8Array, start: number, end: number): void {
  let literalFrom = start;
  if (end - start >= BLOCK && base.length >= BLOCK) {
    const index = new BlockIndex(base);
    let j = start;
    let h = hashBlock(next, j);
    for (;;) {
      // Where the base would be read if the bytes since the last copy were the same length in
      // both: after a same-size edit (a changed weight) the match resumes right there.
      const expected = patch.cursor + (j - literalFrom);
      const candidate =
        expected + BLOCK <= base.length && base[expected] === next[j] && sameBlock(base, expected, next, j) ? expected : index.find(h, next, j, expected);
      if (candidate >= 0) {
        // Grow the match backwards over pending literal bytes, then forwards as far as it goes.
        let from = candidate;
        let to = j;
        while (to > literalFrom && from > 0 && base[from - 1] === next[to - 1]) {
          from--;
          to--;
        }
        let length = j + BLOCK - to;
        while (to + length < end && from + length < base.length && base[from + length] === next[to + length]) length++;
        patch.insert(next.subarray(literalFrom, to));
        patch.copy(from, length);
        literalFrom = to + length;
        j = literalFrom;
        if (j + BLOCK > end) break;
        h = hashBlock(next, j);
        continue;
      }
      if (j + BLOCK >= end) break;
      // Roll the window one byte: drop next[j], take next[j + BLOCK].
      h = (Math.imul(h - Math.imul(next[j]!, OUTGOING_WEIGHT), MULTIPLIER) + next[j + BLOCK]!) | 0;
      j++;
    }
  }
  patch.insert(next.subarray(literalFrom, end));
}

/**
 * The bytes `patch` makes of `base`. Throws PatchError if the patch is malformed, was made for
 * a base of another length, reads outside the base, or would exceed `maxResultBytes`.
 */
export function applyPatch(base: Uint8Array, patch: Uint8Array, options: { maxResultBytes?: number } = {}): Uint8Array {
  const maxResult = options.maxResultBytes ?? PATCH_MAX_RESULT_BYTES;
  const input = new ByteReader(patch, (message, offset) => new PatchError(message, offset));
  const formatAt = input.offset;
  const format = input.u8('format');
  if (format !== PATCH_FORMAT) throw new PatchError(`unknown patch format ${format}`, formatAt);
  const baseAt = input.offset;
  const baseLength = input.varint('base length');
  if (baseLength !== base.length) throw new PatchError(`patch is for a base of ${baseLength} bytes, this base has ${base.length}`, baseAt);
  const resultAt = input.offset;
  const resultLength = input.varint('result length');
  if (resultLength > maxResult) throw new PatchError(`result of ${resultLength} bytes exceeds the limit of ${maxResult}`, resultAt);

  const result = new Uint8Array(resultLength);
  let written = 0;
  let cursor = 0;
  while (input.remaining > 0) {
    const editAt = input.offset;
    const header = input.varint('edit');
    const kind = header % 2;
    const length = (header - kind) / 2;
    if (length === 0) throw new PatchError('empty edit', editAt);
    if (length > resultLength - written) throw new PatchError(`edit of ${length} bytes overruns the result (${resultLength - written} left)`, editAt);
    if (kind === INSERT) {
      result.set(input.bytes(length, 'inserted bytes'), written);
    } else {
      const deltaAt = input.offset;
      const position = cursor + unzigzag(input.varint('copy offset'));
      if (position < 0 || position + length > base.length) {
        throw new PatchError(`copy of ${length} bytes at ${position} is outside the base (${base.length} bytes)`, deltaAt);
      }
      result.set(base.subarray(position, position + length), written);
      cursor = position + length;
    }
    written += length;
  }
  if (written !== resultLength) throw new PatchError(`edits produce ${written} bytes, the patch announces ${resultLength}`, input.offset);
  return result;
}
