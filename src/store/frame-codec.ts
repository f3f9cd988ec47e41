/**
 * The packed form of one frame: all of an appliance's values at one time (raw) or in one
 * bucket (rollups), as a blob in a single row.
 *
 *   frame := entry*                      entries in increasing slot order
 *   entry := varint slotGap  field*      slotGap = slot − (previous slot + 1), so 0 when dense
 *   field := varint tag [payload]
 *     tag even   a non-negative integer tag/2 (below 2^52)
 *     tag 1      null (a gap marker)
 *     tag 3      float64 LE follows
 *     tag 5      float32 LE follows (rollup min/max rates: ~7 significant digits)
 *     tag 7      varint follows: a non-negative integer ≥ 2^52 (a bigint delta)
 *
 * Why a blob per appliance and not a row per sample: the appliance is polled whole, so its
 * values arrive together; a row per sample costs ~17–18 bytes on disk in SQLite (record header,
 * series id, 4-byte time, cell pointer, page slack) and scatters each insert over the b-tree,
 * while a frame pays the row overhead once for dozens of samples, each then costing its slot
 * gap (1 byte) and its value (1–4 bytes for typical deltas). Reading one series means decoding
 * its appliance's frames, which is cheap next to a page read.
 */

const TWO_52 = 2 ** 52;
const TWO_52N = 1n << 52n;

export class FrameWriter {
  private buf = Buffer.allocUnsafe(4096);
  private len = 0;
  private nextSlot = 0;

  reset(): void {
    this.len = 0;
    this.nextSlot = 0;
  }

  /** Start an entry; slots must increase. */
  slot(slot: number): void {
    this.varint(slot - this.nextSlot);
    this.nextSlot = slot + 1;
  }

  /** A field. `lossy` allows float32 for a non-integer (rollup rates). */
  value(value: number | bigint | null, lossy = false): void {
    if (value === null) return this.varint(1);
    if (typeof value === 'bigint') {
      if (value < 0n) return this.float(Number(value), false);
      if (value < TWO_52N) return this.varint(Number(value) * 2);
      this.varint(7);
      return this.bigVarint(value);
    }
    if (Number.isInteger(value) && value >= 0 && value < TWO_52) return this.varint(value * 2);
    this.float(value, lossy);
  }

  /** The frame so far. A view of the writer's buffer: copy it before the next reset. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private float(value: number, lossy: boolean): void {
    this.room(9);
    if (lossy) {
      this.buf[this.len++] = 5;
      this.len = this.buf.writeFloatLE(value, this.len);
    } else {
      this.buf[this.len++] = 3;
      this.len = this.buf.writeDoubleLE(value, this.len);
    }
  }

  private varint(u: number): void {
    this.room(8);
    // Bit operations are exact below 2^31; larger values (up to 2^53) go by division.
    while (u >= 0x80000000) {
      this.buf[this.len++] = (u % 128) | 128;
      u = Math.floor(u / 128);
    }
    while (u >= 128) {
      this.buf[this.len++] = (u & 127) | 128;
      u >>>= 7;
    }
    this.buf[this.len++] = u;
  }

  private bigVarint(u: bigint): void {
    this.room(10);
    while (u >= 128n) {
      this.buf[this.len++] = Number(u & 127n) | 128;
      u >>= 7n;
    }
    this.buf[this.len++] = Number(u);
  }

  private room(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }
}

/** A frame decoder that throws on damaged bytes rather than inventing values. */
export class FrameReader {
  private at = 0;
  /** The current entry's slot (after `next()` returned true). */
  slot = -1;
  private readonly view: Buffer;

  constructor(private readonly data: Uint8Array) {
    this.view = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  /** Move to the next entry; false at the end. The previous entry's fields must have been read or skipped. */
  next(): boolean {
    if (this.at >= this.data.length) return false;
    this.slot = this.slot + 1 + this.varint();
    return true;
  }

  /** Read one field. */
  value(): number | null {
    const tag = this.varint();
    if (tag % 2 === 0) return tag / 2;
    switch (tag) {
      case 1:
        return null;
      case 3:
        this.need(8);
        this.at += 8;
        return this.view.readDoubleLE(this.at - 8);
      case 5:
        this.need(4);
        this.at += 4;
        return this.view.readFloatLE(this.at - 4);
      case 7:
        return Number(this.bigVarint());
      default:
        throw new RangeError(`damaged frame: unknown field tag ${tag} at byte ${this.at}`);
    }
  }

  /** Skip `count` fields. */
  skip(count: number): void {
    for (let i = 0; i < count; i++) this.value();
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.data.length) throw new RangeError(`damaged frame: truncated at byte ${this.at}`);
  }

  private varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      this.need(1);
      const byte = this.data[this.at++]!;
      result += (byte & 127) * scale;
      if (byte < 128) return result;
      scale *= 128;
      if (scale > 2 ** 56) throw new RangeError(`damaged frame: varint too long at byte ${this.at}`);
    }
  }

  private bigVarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      this.need(1);
      const byte = this.data[this.at++]!;
      result |= BigInt(byte & 127) << shift;
      if (byte < 128) return result;
      shift += 7n;
      if (shift > 70n) throw new RangeError(`damaged frame: varint too long at byte ${this.at}`);
    }
  }
}
