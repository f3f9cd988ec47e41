import { ERASED_BYTE, checkGeometry, checkRange, checkSector, checkWrite, sectorCount } from '../../firmware/boot/flash-port.js';
import type { FlashGeometry } from '../../firmware/ports.js';
import type { FaultableFlash } from './faultable-flash.js';

/** A NOR flash in memory, with the rules of a real part (flash-port.ts): for tests and stateless appliances. */
export class MemoryFlash implements FaultableFlash {
  private readonly cells: Uint8Array;
  private readonly erases: number[];

  /** A new, fully erased part. */
  constructor(readonly geometry: FlashGeometry) {
    checkGeometry(geometry);
    this.cells = new Uint8Array(geometry.size).fill(ERASED_BYTE);
    this.erases = new Array<number>(sectorCount(geometry)).fill(0);
  }

  /** An independent copy (contents and wear): to run many experiments from one prepared state. */
  clone(): MemoryFlash {
    const copy = new MemoryFlash(this.geometry);
    copy.cells.set(this.cells);
    copy.erases.splice(0, copy.erases.length, ...this.erases);
    return copy;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.geometry, offset, length);
    return this.cells.slice(offset, offset + length);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    checkWrite(this.geometry, offset, bytes.length, this.cells.subarray(offset, offset + bytes.length));
    this.cells.set(bytes, offset);
  }

  async erase(sector: number): Promise<void> {
    checkSector(this.geometry, sector);
    const S = this.geometry.sectorSize;
    this.cells.fill(ERASED_BYTE, sector * S, (sector + 1) * S);
    this.erases[sector]! += 1;
  }

  async wear(): Promise<number[]> {
    return [...this.erases];
  }

  async overwrite(offset: number, bytes: Uint8Array): Promise<void> {
    checkRange(this.geometry, offset, bytes.length);
    this.cells.set(bytes, offset);
  }
}
