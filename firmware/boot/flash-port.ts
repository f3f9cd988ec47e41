/**
 * The appliance's NOR flash as the bootloader sees it, and the rules such a part imposes.
 *
 * A NOR part is erased a sector at a time (every byte becomes 0xFF) and programmed in small
 * granules that can only turn 1-bits into 0-bits. Parts with per-granule ECC (most current
 * ones) go further and refuse to program a granule twice between erases; the port follows that
 * stricter rule: a write must start on a granule boundary, cover whole granules, and land only
 * on granules that are still fully erased. The bootloader is written against these rules, so
 * the simulator's flash enforces them (`checkWrite` below) instead of behaving like a file.
 */

export interface FlashGeometry {
  /** Bytes in the device: a whole number of sectors. */
  readonly size: number;
  /** Erase block: the unit `erase` works on. A power of two. */
  readonly sectorSize: number;
  /** Program granule: writes start on a multiple of it and are a multiple of it long. A power of two dividing sectorSize. */
  readonly writeSize: number;
}

/** What every byte of an erased sector reads as. */
export const ERASED_BYTE = 0xff;

export interface FlashPort {
  readonly geometry: FlashGeometry;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Programs whole, fully erased granules. Returns once the bytes are durable. */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Sets every byte of sector number `sector` to 0xFF. Returns once that is durable. */
  erase(sector: number): Promise<void>;
  /** Erase count of every sector, index = sector number: how worn each one is. */
  wear(): Promise<number[]>;
}

export type FlashErrorCode =
  /** The range leaves the device, or the sector number does not exist. */
  | 'outOfRange'
  /** A write that does not start on, or is not a multiple of, the write granule. */
  | 'misaligned'
  /** A write over a granule that is not fully erased. */
  | 'notErased'
  /** The device (or the file standing for it) failed. */
  | 'device';

export class FlashError extends Error {
  override readonly name = 'FlashError';

  constructor(
    readonly code: FlashErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Throws FlashError('outOfRange') unless the geometry is one a NOR part can have. */
export function checkGeometry(g: FlashGeometry): void {
  if (!isPowerOfTwo(g.sectorSize)) throw new FlashError('outOfRange', `sector size ${g.sectorSize} is not a power of two`);
  if (!isPowerOfTwo(g.writeSize) || g.writeSize > g.sectorSize) {
    throw new FlashError('outOfRange', `write size ${g.writeSize} is not a power of two dividing the ${g.sectorSize}-byte sector`);
  }
  if (!Number.isInteger(g.size) || g.size <= 0 || g.size % g.sectorSize !== 0) {
    throw new FlashError('outOfRange', `flash size ${g.size} is not a positive whole number of ${g.sectorSize}-byte sectors`);
  }
}

export const sectorCount = (g: FlashGeometry): number => g.size / g.sectorSize;

export function checkRange(g: FlashGeometry, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > g.size) {
    throw new FlashError('outOfRange', `bytes ${offset}..${offset + length - 1} are outside the ${g.size}-byte flash`);
  }
}

export function checkSector(g: FlashGeometry, sector: number): void {
  if (!Number.isInteger(sector) || sector < 0 || sector >= sectorCount(g)) {
    throw new FlashError('outOfRange', `sector ${sector} does not exist (the flash has ${sectorCount(g)})`);
  }
}

/**
 * Throws FlashError unless programming `length` bytes at `offset` is allowed when the flash
 * holds `current` there (the bytes being replaced, same range).
 */
export function checkWrite(g: FlashGeometry, offset: number, length: number, current: Uint8Array): void {
  checkRange(g, offset, length);
  if (offset % g.writeSize !== 0 || length % g.writeSize !== 0) {
    throw new FlashError('misaligned', `a write of ${length} bytes at ${offset} is not whole ${g.writeSize}-byte granules`);
  }
  const dirty = current.findIndex((b) => b !== ERASED_BYTE);
  if (dirty >= 0) {
    const at = offset + dirty - (dirty % g.writeSize);
    throw new FlashError('notErased', `the granule at ${at} is not erased (a granule is programmed once between erases)`);
  }
}

/** Whether every byte reads as erased. */
export const isErased = (bytes: Uint8Array): boolean => bytes.every((b) => b === ERASED_BYTE);

export const roundUp = (n: number, unit: number): number => Math.ceil(n / unit) * unit;
