/**
 * Reads the contract's byte formats (see writer.ts). Every problem — truncation, a value out of
 * range, a padded varint, bad UTF-8, trailing bytes — is thrown through the error factory its
 * owner passes in, so each format throws its own BytesError subclass with the byte offset where
 * decoding found out.
 */

import type { BytesError, ErrorFactory } from './bytes-error.js';
import { utf8Decoder } from './utf8.js';

const TWO_POW_32 = 2 ** 32;
const U64_MAX = (1n << 64n) - 1n;

export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(
    protected readonly input: Uint8Array,
    private readonly fail: ErrorFactory,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  error(message: string, offset = this.offset): BytesError {
    return this.fail(message, offset);
  }

  /** Moves past `size` bytes and returns where they started; the owner's error when they are not there. */
  protected take(size: number, what: string): number {
    if (size > this.remaining) throw this.fail(`truncated: ${what} needs ${size} byte(s), ${this.remaining} left`, this.offset);
    const at = this.offset;
    this.offset += size;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.take(1, what));
  }

  u16(what: string): number {
    return this.view.getUint16(this.take(2, what));
  }

  u32(what: string): number {
    return this.view.getUint32(this.take(4, what));
  }

  /** A u64 field that must hold a safe integer (timestamps). */
  u64(what: string): number {
    const at = this.take(8, what);
    const value = this.view.getBigUint64(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} ${value} is beyond 2^53 - 1`, at);
    return Number(value);
  }

  /** 0 or 1; anything else would give one value two encodings. */
  bool(what: string): boolean {
    const at = this.offset;
    const value = this.u8(what);
    if (value > 1) throw this.fail(`${what} must be 0 or 1, not ${value}`, at);
    return value === 1;
  }

  /** Little-endian IEEE 754 double. */
  f64le(what: string): number {
    return this.view.getFloat64(this.take(8, what), true);
  }

  /** Little-endian IEEE 754 single. */
  f32le(what: string): number {
    return this.view.getFloat32(this.take(4, what), true);
  }

  /** One character per byte; what each field allows is the format's to check. */
  ascii(size: number, what: string): string {
    const at = this.take(size, what);
    let text = '';
    for (let i = at; i < at + size; i++) text += String.fromCharCode(this.input[i]!);
    return text;
  }

  /** A copy, so the result does not pin (or alias) the receive buffer. */
  bytes(size: number, what: string): Uint8Array {
    const at = this.take(size, what);
    return this.input.slice(at, at + size);
  }

  /** Everything left: the last field of a payload whose length the frame already carries. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }

  str8(what: string, max = 0xff): string {
    const at = this.offset;
    const size = this.u8(`${what} length`);
    if (size > max) throw this.fail(`${what} is ${size} bytes, at most ${max}`, at);
    const bytesAt = this.offset;
    const bytes = this.bytes(size, what);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw this.fail(`${what} is not valid UTF-8`, bytesAt);
    }
  }

  /** A one-byte wire code looked up in `table` (name → code). */
  code<T extends string>(table: Readonly<Record<T, number>>, what: string): T {
    const at = this.offset;
    const code = this.u8(what);
    for (const [name, value] of Object.entries<number>(table)) if (value === code) return name as T;
    throw this.fail(`unknown ${what} code ${code}`, at);
  }

  /** LEB128 safe integer; a padded (non-minimal) encoding is refused so each value has one spelling. */
  varint(what: string): number {
    const at = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      // 8 groups of 7 bits already exceed 2^53: a longer varint can only be padding or garbage.
      if (i === 8) throw this.fail(`${what} is longer than 8 bytes`, at);
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if (value > Number.MAX_SAFE_INTEGER) throw this.fail(`${what} is beyond 2^53 - 1`, at);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw this.fail(`${what} is not minimally encoded`, at);
        return value;
      }
      scale *= 0x80;
    }
  }

  /** LEB128 u64, minimal encoding only. */
  varint64(what: string): bigint {
    const at = this.offset;
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift === 70n) throw this.fail(`${what} is longer than 10 bytes`, at);
      const byte = this.u8(what);
      value |= BigInt(byte & 0x7f) << shift;
      if (value > U64_MAX) throw this.fail(`${what} is beyond 2^64 - 1`, at);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && shift > 0n) throw this.fail(`${what} is not minimally encoded`, at);
        return value;
      }
    }
  }

  /** A u32 carried as a varint (counters that are Numbers). */
  varint32(what: string): number {
    const at = this.offset;
    const value = this.varint(what);
    if (value >= TWO_POW_32) throw this.fail(`${what} ${value} does not fit 32 bits`, at);
    return value;
  }

  /** Decoding must consume every byte: trailing bytes mean the two sides disagree about the format. */
  end(): void {
    if (this.remaining !== 0) throw this.fail(`${this.remaining} trailing byte(s)`, this.offset);
  }
}
