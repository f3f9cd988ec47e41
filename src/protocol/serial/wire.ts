/**
 * Byte-level reading and writing shared by the serial payloads, the counters encoding and the
 * rule-table patch format. Integers are unsigned big-endian unless they are LEB128 varints.
 *
 * The writer refuses values that do not fit their field (RangeError: a bug in the caller, never
 * silently truncated the way DataView would). The reader reports every problem through the
 * error factory its owner passes in, so each format throws its own typed error with the byte
 * offset where decoding found out.
 */

/** Builds the owner's typed error (PayloadError, CountersError, PatchError…). */
export type ErrorFactory = (message: string, offset: number) => Error;

const utf8Encoder = new TextEncoder();
/** fatal: malformed UTF-8 is an error, not U+FFFD. ignoreBOM: keep a leading U+FEFF so decoded text re-encodes to the same bytes. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const TWO_POW_32 = 2 ** 32;
const U64_MAX = (1n << 64n) - 1n;

/** UTF-8 bytes of `text`; RangeError if it holds a lone surrogate (it would not survive the trip). */
export function utf8(text: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (utf8Decoder.decode(bytes) !== text) throw new RangeError('text contains a lone surrogate');
  return bytes;
}

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, cut at a character boundary. */
export function clipUtf8(text: string, maxBytes: number): string {
  const bytes = utf8Encoder.encode(text);
  if (bytes.length <= maxBytes) return utf8Decoder.decode(bytes);
  let end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) so the cut never splits a character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return utf8Decoder.decode(bytes.subarray(0, end));
}

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
    let rest = value;
    while (rest >= 0x80) {
      this.byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.byte(rest);
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

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly input: Uint8Array,
    private readonly fail: ErrorFactory,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  error(message: string, offset = this.offset): Error {
    return this.fail(message, offset);
  }

  private take(size: number, what: string): number {
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
