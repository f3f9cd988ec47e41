/**
 * The install progress log: how a resumed upload knows which sectors of the slot it can trust.
 *
 * The slot's bytes alone cannot say how far an interrupted upload got: an image may hold runs of
 * 0xFF that look erased, a power cut leaves a half-programmed granule, and an interrupted erase
 * leaves old bytes behind. So each time a sector of the slot has been programmed completely, the
 * installer appends a mark to this log (a sector of its own, erased when an upload starts over
 * and then only appended to, one granule-aligned entry per mark). A mark covers the whole
 * prefix of the image up to the end of its sector, so the newest mark says all there is to say:
 *
 *   off  size  field
 *     0     2  magic "PL"
 *     2     2  sector index within the slot
 *     4     4  first 4 bytes of the image file's SHA-256: which upload the mark belongs to
 *     8     4  CRC-32 of the image bytes from the start of the slot to the end of that sector,
 *              read back from the flash
 *    12     4  CRC-32 of bytes 0..11
 *   (then 0xFF up to a whole number of write granules)
 *
 * On resume the prefix up to a sector counts as written only if a valid mark of this image
 * names that sector AND the slot's bytes up to there still have the CRC the mark recorded: a
 * torn mark fails its own CRC, a mark left over from an earlier upload of another image has
 * another tag, and a prefix whose erase or program was interrupted no longer matches. Every
 * check errs towards writing a sector again.
 */

import { crc32 } from '../../src/protocol/digest.js';
import { ERASED_BYTE, isErased, roundUp, type FlashPort } from './flash-port.js';

const MAGIC0 = 0x50; // 'P'
const MAGIC1 = 0x4c; // 'L'
const ENTRY_BYTES = 16;

/** Sector index → CRC-32 of the image bytes up to the end of that sector. */
export type SectorMarks = Map<number, number>;

export class ProgressLog {
  private readonly stride: number;
  private readonly capacity: number;
  /** Index of the next free entry; null until load() or clear() has looked. */
  private next: number | null = null;

  constructor(
    private readonly flash: FlashPort,
    private readonly sector: number,
  ) {
    this.stride = roundUp(ENTRY_BYTES, flash.geometry.writeSize);
    this.capacity = Math.floor(flash.geometry.sectorSize / this.stride);
  }

  /** The valid marks of the upload whose image hashes to `imageSha256`. */
  async load(imageSha256: Uint8Array): Promise<SectorMarks> {
    const bytes = await this.flash.read(this.base(), this.capacity * this.stride);
    const tag = tagOf(imageSha256);
    const marks: SectorMarks = new Map();
    let used = 0;
    for (let i = 0; i < this.capacity; i++) {
      const entry = bytes.subarray(i * this.stride, (i + 1) * this.stride);
      if (isErased(entry)) continue;
      // Appends are sequential: anything written (even torn) occupies its entry.
      used = i + 1;
      const mark = decodeEntry(entry);
      if (mark && mark.tag === tag) marks.set(mark.index, mark.crc);
    }
    this.next = used;
    return marks;
  }

  /** Starts an empty log (erasing the sector unless it already reads as erased). */
  async clear(): Promise<void> {
    const S = this.flash.geometry.sectorSize;
    if (!isErased(await this.flash.read(this.base(), S))) await this.flash.erase(this.sector);
    this.next = 0;
  }

  /**
   * Records that the image's bytes up to the end of sector `index` have CRC `crc`. When the log
   * is full it starts over with this mark alone (it covers every earlier one).
   */
  async append(imageSha256: Uint8Array, index: number, crc: number): Promise<void> {
    if (this.next === null) throw new Error('progress log: append before load or clear');
    if (this.next >= this.capacity) {
      await this.flash.erase(this.sector);
      this.next = 0;
    }
    const at = this.next;
    // Claim the entry before writing: a torn write still occupies it.
    this.next = at + 1;
    await this.flash.write(this.base() + at * this.stride, this.encodeEntry(tagOf(imageSha256), index, crc));
  }

  private base(): number {
    return this.sector * this.flash.geometry.sectorSize;
  }

  private encodeEntry(tag: number, index: number, crc: number): Uint8Array {
    const out = new Uint8Array(this.stride).fill(ERASED_BYTE);
    const view = new DataView(out.buffer);
    out[0] = MAGIC0;
    out[1] = MAGIC1;
    view.setUint16(2, index, true);
    view.setUint32(4, tag, true);
    view.setUint32(8, crc, true);
    view.setUint32(12, crc32(out.subarray(0, 12)), true);
    return out;
  }
}

function decodeEntry(entry: Uint8Array): { index: number; tag: number; crc: number } | null {
  const view = new DataView(entry.buffer, entry.byteOffset, ENTRY_BYTES);
  if (entry[0] !== MAGIC0 || entry[1] !== MAGIC1) return null;
  if (view.getUint32(12, true) !== crc32(entry.subarray(0, 12))) return null;
  return { index: view.getUint16(2, true), tag: view.getUint32(4, true), crc: view.getUint32(8, true) };
}

function tagOf(sha256: Uint8Array): number {
  return new DataView(sha256.buffer, sha256.byteOffset, 4).getUint32(0, true);
}
