/**
 * Reading, checking and (re)writing the images in the slots. Every image the bootloader boots,
 * activates or accepts from an upload goes through verifySlot: the bytes are read back from
 * flash, so what is checked is what the flash holds, not what was sent.
 */

import { sha256 } from '../../src/protocol/digest.js';
import {
  FirmwareImageError,
  IMAGE_HEADER_SIZE,
  peekImageSize,
  readManifest,
  verifyImage,
  type ParsedImage,
  type SimulatedBehaviour,
  type TrustedKey,
} from '../../src/protocol/image/image.js';
import type { SlotImageInfo } from './boot-record.js';
import { ERASED_BYTE, isErased, roundUp, type FlashPort } from './flash-port.js';
import type { SlotRegion } from './layout.js';

export interface VerifiedImage {
  image: ParsedImage;
  /** What the boot state records about it. */
  info: SlotImageInfo;
  /** The simulator manifest's behaviours (empty for an ordinary image). */
  simulate: SimulatedBehaviour[];
}

/**
 * The image at the start of a slot, verified: structure, hash, signature by a trusted key,
 * security counter ≥ `minSecurityCounter`, a well-formed manifest. Throws FirmwareImageError.
 */
export async function verifySlot(flash: FlashPort, region: SlotRegion, trusted: readonly TrustedKey[], minSecurityCounter: number): Promise<VerifiedImage> {
  const size = peekImageSize(await flash.read(region.offset, IMAGE_HEADER_SIZE));
  if (size > region.size) {
    throw new FirmwareImageError('tooLarge', `the header declares a ${size}-byte image, the slot holds ${region.size} bytes`);
  }
  return verifyBytes(await flash.read(region.offset, size), trusted, minSecurityCounter);
}

/** verifySlot for bytes in memory (the factory image before it is written). */
export function verifyBytes(bytes: Uint8Array, trusted: readonly TrustedKey[], minSecurityCounter: number): VerifiedImage {
  const image = verifyImage(bytes, trusted, minSecurityCounter);
  const simulate = readManifest(image.payload).simulate;
  const file = bytes.subarray(0, image.size);
  const info: SlotImageInfo = {
    version: image.header.version,
    securityCounter: image.header.securityCounter,
    size: image.size,
    sha256: sha256(file),
  };
  return { image, info, simulate };
}

/** Sector numbers covering `length` bytes from `offset` (a sector boundary). */
export function sectorsOf(flash: FlashPort, offset: number, length: number): number[] {
  const S = flash.geometry.sectorSize;
  const first = offset / S;
  return Array.from({ length: Math.ceil(length / S) }, (_, i) => first + i);
}

/** Erases the sectors covering the range that do not already read as erased (sparing their wear). */
export async function eraseRange(flash: FlashPort, offset: number, length: number): Promise<void> {
  const S = flash.geometry.sectorSize;
  for (const sector of sectorsOf(flash, offset, length)) {
    if (!isErased(await flash.read(sector * S, S))) await flash.erase(sector);
  }
}

/** Programs `bytes` at `offset` (a granule boundary), the last granule padded with the erased value. */
export async function programPadded(flash: FlashPort, offset: number, bytes: Uint8Array): Promise<void> {
  const length = roundUp(bytes.length, flash.geometry.writeSize);
  if (length === 0) return;
  if (length === bytes.length) return flash.write(offset, bytes);
  const padded = new Uint8Array(length).fill(ERASED_BYTE);
  padded.set(bytes);
  return flash.write(offset, padded);
}

export async function holds(flash: FlashPort, offset: number, bytes: Uint8Array): Promise<boolean> {
  return sameBytes(await flash.read(offset, bytes.length), bytes);
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
