/**
 * The boot state kept twice, so that a power cut at any flash operation leaves one intact copy.
 *
 * Each copy owns a sector. A write goes to the copy that does NOT hold the current record:
 * erase that sector, then program the new record (sequence + 1) into it. Whatever a power cut
 * interrupts — the erase or the program — it interrupts it in the other sector, and the current
 * record stays readable; a half-programmed record fails its CRC. On reading, the valid copy
 * with the highest sequence wins. Both copies invalid means a blank (factory) flash.
 *
 * The sequence is 32 bits: at one write per upgrade step it outlasts the sectors' erase
 * endurance (about 10^5 cycles) many thousand times over.
 */

import { BOOT_RECORD_SIZE, decodeBootRecord, encodeBootRecord, type BootState } from './boot-record.js';
import { ERASED_BYTE, roundUp, type FlashPort } from './flash-port.js';
import type { FlashLayout } from './layout.js';

export type BootStateUpdate = Omit<BootState, 'sequence'>;

export class BootStateStore {
  private constructor(
    private readonly flash: FlashPort,
    private readonly sectors: readonly [number, number],
    /** Which copy holds `state`; null when neither is valid. */
    private newest: 0 | 1 | null,
    private state: BootState | null,
  ) {}

  static async open(flash: FlashPort, layout: FlashLayout): Promise<BootStateStore> {
    const S = flash.geometry.sectorSize;
    const copies = [];
    for (const sector of layout.bootState) copies.push(decodeBootRecord(await flash.read(sector * S, BOOT_RECORD_SIZE)));
    const [first, second] = copies as [BootState | null, BootState | null];
    let newest: 0 | 1 | null = null;
    if (first && (!second || first.sequence >= second.sequence)) newest = 0;
    else if (second) newest = 1;
    const state = newest === null ? null : newest === 0 ? first : second;
    return new BootStateStore(flash, layout.bootState, newest, state);
  }

  /** The current record; null on a blank flash. */
  get current(): BootState | null {
    return this.state;
  }

  /** Which copy (0 or 1) holds the current record; null on a blank flash. */
  get currentCopy(): 0 | 1 | null {
    return this.newest;
  }

  /** Makes `next` the current record. Once this resolves it is durable; if it throws, a reader finds the old or the new record. */
  async save(next: BootStateUpdate): Promise<BootState> {
    const record: BootState = { ...next, sequence: (this.state?.sequence ?? 0) + 1 };
    const encoded = encodeBootRecord(record);
    const target: 0 | 1 = this.newest === 0 ? 1 : 0;
    const { sectorSize, writeSize } = this.flash.geometry;
    const padded = new Uint8Array(roundUp(encoded.length, writeSize)).fill(ERASED_BYTE);
    padded.set(encoded);
    const sector = this.sectors[target];
    await this.flash.erase(sector);
    await this.flash.write(sector * sectorSize, padded);
    this.newest = target;
    this.state = record;
    return record;
  }
}
