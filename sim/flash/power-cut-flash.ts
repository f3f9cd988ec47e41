/**
 * Power cuts at a chosen flash operation, as MCUboot's simulator does: every erase and write is
 * counted, and the one numbered `cutAt` is left half done the way a real part leaves it, then
 * PowerCutError is thrown. From then on every operation (reads too) throws, until the test
 * powers the box on again: a new bootloader over the same underlying flash.
 *
 * What "half done" means (drawn from a seeded generator, so a failure replays exactly):
 * - a write programs its granules in order: a prefix of them is written, the granule in progress
 *   has only some of its 0-bits programmed (bits to stay 1 stay 1), the rest are untouched — or
 *   the whole write completed and only its acknowledgement was lost;
 * - an erase has not started, has completed, has raised some bits towards 1, or (parts that
 *   pre-program a sector before erasing it) leaves arbitrary bytes.
 * An interrupted erase does not count towards the sector's wear.
 */

import { checkSector, checkWrite } from '../../firmware/boot/flash-port.js';
import { createRandom } from '../../firmware/forwarding/flow/random.js';
import type { FlashGeometry, FlashPort } from '../../firmware/ports.js';
import type { FaultableFlash } from './faultable-flash.js';

export class PowerCutError extends Error {
  override readonly name = 'PowerCutError';

  constructor(
    /** Index of the interrupted operation (0-based, erases and writes counted together). */
    readonly operation: number,
    readonly kind: 'write' | 'erase' | 'dead',
  ) {
    super(kind === 'dead' ? 'the power is off (cut at an earlier flash operation)' : `power cut during flash ${kind} #${operation}`);
  }
}

export interface PowerCutOptions {
  /** The erase or write (0-based, counted together) that the cut interrupts; omitted: never. */
  cutAt?: number;
  /** Seeds the shape of the torn operation. */
  seed?: number;
}

export class PowerCutFlash implements FlashPort {
  /** Erases and writes started so far. */
  operations = 0;
  powered = true;
  private readonly cutAt: number;
  private readonly random: () => number;

  constructor(
    readonly inner: FaultableFlash,
    options: PowerCutOptions = {},
  ) {
    this.cutAt = options.cutAt ?? -1;
    this.random = createRandom(options.seed ?? 1);
  }

  get geometry(): FlashGeometry {
    return this.inner.geometry;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.alive();
    return this.inner.read(offset, length);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.alive();
    const index = this.operations++;
    if (index !== this.cutAt) return this.inner.write(offset, bytes);
    const current = await this.inner.read(offset, bytes.length);
    this.powered = false;
    checkWrite(this.geometry, offset, bytes.length, current);
    await this.inner.overwrite(offset, this.tornWrite(current, bytes));
    throw new PowerCutError(index, 'write');
  }

  async erase(sector: number): Promise<void> {
    this.alive();
    const index = this.operations++;
    if (index !== this.cutAt) return this.inner.erase(sector);
    checkSector(this.geometry, sector);
    this.powered = false;
    const S = this.geometry.sectorSize;
    const mode = this.random();
    if (mode < 0.4) {
      // Not started (power died as it was issued), or finished (only the acknowledgement lost).
      if (mode >= 0.2) await this.inner.erase(sector);
    } else {
      const bytes = await this.inner.read(sector * S, S);
      const arbitrary = mode >= 0.7;
      for (let i = 0; i < S; i++) bytes[i] = arbitrary ? this.byte() : bytes[i]! | this.byte();
      await this.inner.overwrite(sector * S, bytes);
    }
    throw new PowerCutError(index, 'erase');
  }

  async wear(): Promise<number[]> {
    this.alive();
    return this.inner.wear();
  }

  private alive(): void {
    if (!this.powered) throw new PowerCutError(this.cutAt, 'dead');
  }

  private byte(): number {
    return Math.floor(this.random() * 256);
  }

  /** `current` (erased granules) after a write of `bytes` that stopped part way. */
  private tornWrite(current: Uint8Array, bytes: Uint8Array): Uint8Array {
    const W = this.geometry.writeSize;
    const granules = bytes.length / W;
    // One cut in four lands just after the write completed (only the acknowledgement is lost):
    // the case that tests what happens after a commit point, which a uniform draw would rarely hit.
    const done = this.random() < 0.25 ? granules : Math.floor(this.random() * granules);
    const out = current.slice();
    out.set(bytes.subarray(0, done * W));
    if (done < granules) {
      for (let i = done * W; i < (done + 1) * W; i++) {
        // Bits to program (0 in bytes[i]) may or may not have been; bits to keep at 1 stay 1.
        out[i] = bytes[i]! | (this.byte() & ~bytes[i]! & 0xff);
      }
    }
    return out;
  }
}
