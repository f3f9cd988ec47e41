/**
 * Writes the contract's byte formats: unsigned big-endian integers, LEB128 varints, length-
 * prefixed UTF-8, and the little-endian floats of the store's frames. A value that does not fit
 * its field is a RangeError — a bug in the caller, never silently truncated the way DataView
 * would.
 */

import { utf8 } from './utf8.js';

const U64_MAX = (1n << 64n) - 1n;

function checkInt(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what}: ${value} is not an integer in 0..${max}`);
  }
}

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  get size(): number {
    return this.length;
  }

  /**
   * Makes room for `size` bytes and returns where they go. Callers must read `this.buffer` and
   * `this.view` only after calling it: growing replaces both.
   */
  private reserve(size: number): number {
    if (this.length + size > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + size));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += size;
    return at;
  }

  private byte(value: number): void {
    const at = this.reserve(1);
    this.buffer[at] = value;
  }

  u8(value: number, what = 'u8'): void {
    checkInt(value, 0xff, what);
    this.byte(value);
  }

  u16(value: number, what = 'u16'): void {
    checkInt(value, 0xffff, what);
    const at = this.reserve(2);
    this.view.setUint16(at, value);
  }

  u32(value: number, what = 'u32'): void {
    checkInt(value, 0xffff_ffff, what);
    const at = this.reserve(4);
    this.view.setUint32(at, value);
  }

  /** A u64 field holding a Number (timestamps): any non-negative safe integer. */
  u64(value: number, what = 'u64'): void {
    checkInt(value, Number.MAX_SAFE_INTEGER, what);
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(value));
  }

  bool(value: boolean): void {
    this.byte(value ? 1 : 0);
  }

  /** Little-endian IEEE 754 double (the store's frames). */
  f64le(value: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, value, true);
  }

  /** Little-endian IEEE 754 single: ~7 significant digits (rollup rates). */
  f32le(value: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, value, true);
  }

  /** One byte per character; the caller guarantees ASCII (names and paths are validated first). */
  ascii(text: string): void {
    const at = this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buffer[at + i] = text.charCodeAt(i);
  }

  bytes(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
  }

  /** Exactly `size` raw bytes (ids, id prefixes). */
  fixed(bytes: Uint8Array, size: number, what: string): void {
    if (!(bytes instanceof Uint8Array) || bytes.length !== size) {
      throw new RangeError(`${what}: expected ${size} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
    }
    this.bytes(bytes);
  }

  /** u8 length + UTF-8 bytes, at most `max` (≤ 255) bytes. */
  str8(text: string, what: string, max = 0xff): void {
    const bytes = utf8(text);
    if (bytes.length > max) throw new RangeError(`${what}: ${bytes.length} UTF-8 bytes, at most ${max}`);
    this.u8(bytes.length);
    this.bytes(bytes);
  }

  /** Unsigned LEB128 of a safe integer: 7 bits a byte, low group first, high bit = more. */
  varint(value: number, what = 'varint'): void {
    checkInt(value, Number.MAX_SAFE_INTEGER, what);
    const at = this.reserve(8);
    let end = at;
    let rest = value;
    // Bit operations are exact below 2^31; larger values (up to 2^53) go by division.
    while (rest >= 0x80000000) {
      this.buffer[end++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    while (rest >= 0x80) {
      this.buffer[end++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.buffer[end++] = rest;
    this.length = end;
  }

  /** Unsigned LEB128 of a u64 counter. */
  varint64(value: bigint, what = 'varint64'): void {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) throw new RangeError(`${what}: ${String(value)} is not a u64`);
    let rest = value;
    while (rest >= 0x80n) {
      this.byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.byte(Number(rest));
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** What was written, without a copy: valid until the next write or reset. */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Start again, keeping the buffer (a writer reused for every frame allocates once). */
  reset(): void {
    this.length = 0;
  }
}
