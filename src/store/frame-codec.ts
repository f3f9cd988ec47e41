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

import { ByteReader, BytesError, ByteWriter } from '../protocol/bytes/index.js';

const TWO_52 = 2 ** 52;
const TWO_52N = 1n << 52n;

/** A frame that does not decode: a damaged row, never turned into invented values. */
export class FrameError extends BytesError {
  override readonly name = 'FrameError';

  constructor(message: string, offset: number) {
    super(`damaged frame: ${message}`, offset);
  }
}

const frameError = (message: string, offset: number): FrameError => new FrameError(message, offset);

export class FrameWriter {
  private readonly out = new ByteWriter(4096);
  private nextSlot = 0;

  reset(): void {
    this.out.reset();
    this.nextSlot = 0;
  }

  /** Start an entry; slots must increase. */
  slot(slot: number): void {
    this.out.varint(slot - this.nextSlot, 'slot gap');
    this.nextSlot = slot + 1;
  }

  /** A field. `lossy` allows float32 for a non-integer (rollup rates). */
  value(value: number | bigint | null, lossy = false): void {
    if (value === null) return this.out.varint(1);
    if (typeof value === 'bigint') {
      if (value < 0n) return this.float(Number(value), false);
      if (value < TWO_52N) return this.out.varint(Number(value) * 2);
      this.out.varint(7);
      return this.out.varint64(value);
    }
    if (Number.isInteger(value) && value >= 0 && value < TWO_52) return this.out.varint(value * 2);
    this.float(value, lossy);
  }

  /** The frame so far, as SQLite binds a blob. A view of the writer's buffer: copy it before the next reset. */
  bytes(): Buffer {
    const view = this.out.written();
    return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  }

  private float(value: number, lossy: boolean): void {
    if (lossy) {
      this.out.u8(5);
      this.out.f32le(value);
    } else {
      this.out.u8(3);
      this.out.f64le(value);
    }
  }
}

/** A frame decoder that throws FrameError on damaged bytes rather than inventing values. */
export class FrameReader {
  private readonly input: ByteReader;
  /** The current entry's slot (after `next()` returned true). */
  slot = -1;

  constructor(data: Uint8Array) {
    this.input = new ByteReader(data, frameError);
  }

  /** Move to the next entry; false at the end. The previous entry's fields must have been read or skipped. */
  next(): boolean {
    if (this.input.remaining === 0) return false;
    this.slot = this.slot + 1 + this.input.varint('slot gap');
    return true;
  }

  /** Read one field. */
  value(): number | null {
    const at = this.input.offset;
    const tag = this.input.varint('field tag');
    if (tag % 2 === 0) return tag / 2;
    switch (tag) {
      case 1:
        return null;
      case 3:
        return this.input.f64le('float64');
      case 5:
        return this.input.f32le('float32');
      case 7:
        return Number(this.input.varint64('big integer'));
      default:
        throw new FrameError(`unknown field tag ${tag}`, at);
    }
  }

  /** Skip `count` fields. */
  skip(count: number): void {
    for (let i = 0; i < count; i++) this.value();
  }
}
