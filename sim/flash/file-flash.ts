import { open, rename, type FileHandle } from 'node:fs/promises';
import { ERASED_BYTE, FlashError, checkGeometry, checkRange, checkSector, checkWrite, sectorCount } from '../../firmware/boot/flash-port.js';
import type { FlashGeometry } from '../../firmware/ports.js';
import type { FaultableFlash } from './faultable-flash.js';
import { describeError } from '../../src/protocol/describe-error.js';

/** The flash image's name in an appliance's --state directory. */
export const FLASH_FILE = 'flash.bin';

/**
 * A NOR flash kept in a file (`flash.bin` in the appliance's --state directory), created erased
 * (all 0xFF) at the configured size. Writes and erases are positioned writes followed by
 * fdatasync, so an operation that returned survives the simulator process (and the machine)
 * dying; an operation in flight when the process dies may be torn, as on the real part.
 *
 * Wear counts live in a sidecar, `<file>.wear` (one little-endian u32 per sector), rewritten in
 * place after each erase without a sync: they are diagnostics, and a crash may lose the last
 * increments, never the flash contents.
 */
export class FileFlash implements FaultableFlash {
  private constructor(
    readonly geometry: FlashGeometry,
    private readonly data: FileHandle,
    private readonly wearFile: FileHandle,
    private readonly erases: number[],
  ) {}

  /** Opens `file`, creating it erased when missing. A file of another size is refused, never resized. */
  static async open(file: string, geometry: FlashGeometry): Promise<FileFlash> {
    checkGeometry(geometry);
    const data = await device(`opening ${file}`, () => openOrCreate(file, geometry.size, ERASED_BYTE));
    try {
      const { size } = await data.stat();
      if (size !== geometry.size) {
        throw new FlashError(
          'device',
          `${file} is ${size} bytes, the configured flash is ${geometry.size}: use the size it was made with, or a new state directory`,
        );
      }
      const sectors = sectorCount(geometry);
      const wearFile = await device(`opening ${file}.wear`, () => openOrCreate(`${file}.wear`, sectors * 4, 0));
      const raw = new Uint8Array(sectors * 4);
      const { bytesRead } = await wearFile.read(raw, 0, raw.length, 0);
      const view = new DataView(raw.buffer);
      const erases = Array.from({ length: sectors }, (_, i) => (bytesRead === raw.length ? view.getUint32(i * 4, true) : 0));
      return new FileFlash(geometry, data, wearFile, erases);
    } catch (err) {
      await data.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.geometry, offset, length);
    return this.readRaw(offset, length);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    checkWrite(this.geometry, offset, bytes.length, await this.read(offset, bytes.length));
    await this.writeRaw(offset, bytes);
  }

  async erase(sector: number): Promise<void> {
    checkSector(this.geometry, sector);
    const S = this.geometry.sectorSize;
    await this.writeRaw(sector * S, new Uint8Array(S).fill(ERASED_BYTE));
    this.erases[sector]! += 1;
    const count = new Uint8Array(4);
    new DataView(count.buffer).setUint32(0, this.erases[sector]!, true);
    await device('updating the wear counts', () => this.wearFile.write(count, 0, 4, sector * 4));
  }

  async wear(): Promise<number[]> {
    return [...this.erases];
  }

  async overwrite(offset: number, bytes: Uint8Array): Promise<void> {
    checkRange(this.geometry, offset, bytes.length);
    await this.writeRaw(offset, bytes);
  }

  async close(): Promise<void> {
    await Promise.all([this.data.close(), this.wearFile.close()]);
  }

  private async readRaw(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const { bytesRead } = await device(`reading ${length} bytes at ${offset}`, () => this.data.read(out, 0, length, offset));
    if (bytesRead !== length) throw new FlashError('device', `short read: ${bytesRead} of ${length} bytes at ${offset}`);
    return out;
  }

  private async writeRaw(offset: number, bytes: Uint8Array): Promise<void> {
    await device(`writing ${bytes.length} bytes at ${offset}`, async () => {
      const { bytesWritten } = await this.data.write(bytes, 0, bytes.length, offset);
      if (bytesWritten !== bytes.length) throw new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`);
      await this.data.datasync();
    });
  }
}

/** Opens `file` for reading and writing; a missing one is made (filled with `fill`) under a temporary name and renamed, so a crash never leaves one of the wrong size. */
async function openOrCreate(file: string, size: number, fill: number): Promise<FileHandle> {
  try {
    return await open(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    const chunk = new Uint8Array(Math.min(size, 1 << 20)).fill(fill);
    for (let at = 0; at < size; at += chunk.length) await handle.write(chunk, 0, Math.min(chunk.length, size - at), at);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return open(file, 'r+');
}

/** Runs a file operation; a failure becomes FlashError('device') naming what was being done. */
async function device<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof FlashError) throw err;
    throw new FlashError('device', `flash file: ${what} failed: ${describeError(err)}`, { cause: err });
  }
}
