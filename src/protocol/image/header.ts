/**
 * The fixed 64-byte image header. All integers are little-endian, as in MCUboot and the
 * microcontrollers bootloaders run on: the header can be read straight into a packed struct.
 *
 *   off  size  field
 *     0     4  magic "FUFW"
 *     4     2  format version (1)
 *     6     2  header size (64)
 *     8     1  version major
 *     9     1  version minor
 *    10     2  version patch
 *    12     4  version build
 *    16     4  security counter
 *    20     4  payload size
 *    24     4  trailer size (the whole TLV trailer, its own 8-byte header included)
 *    28     4  flags (carried and signed; this format gives no bit a meaning)
 *    32    32  reserved, zero
 *
 * The trailer size is in the header so the size of a whole image is known from its first 64
 * bytes: a bootloader reading a flash slot knows how much to read and hash before it trusts any
 * of it. Reserved bytes must be zero so a later format can give them a meaning that an older
 * parser refuses instead of ignoring.
 */

import { toHex } from '../digest.js';
import { FirmwareImageError } from './errors.js';
import { checkVersion, type FirmwareVersion } from './version.js';

export const IMAGE_MAGIC = Uint8Array.of(0x46, 0x55, 0x46, 0x57); // "FUFW"
export const IMAGE_FORMAT_VERSION = 1;
export const IMAGE_HEADER_SIZE = 64;
/** The largest whole image (header + payload + trailer): 16 MiB, the size of a flash slot. */
export const MAX_IMAGE_SIZE = 16 * 1024 * 1024;
/** The trailer's own header (magic + total length): the smallest a trailer can be. */
export const TRAILER_HEADER_SIZE = 8;
/** A bound on the trailer, so a corrupt size field cannot make a reader buffer megabytes of "TLVs". */
export const MAX_TRAILER_SIZE = 4096;

const RESERVED_AT = 32;

export interface ImageHeader {
  version: FirmwareVersion;
  securityCounter: number;
  payloadSize: number;
  flags: number;
  /** Bytes of the TLV trailer that follows the payload. */
  trailerSize: number;
}

const U32_MAX = 0xffff_ffff;

function magicMatches(bytes: Uint8Array): boolean {
  return IMAGE_MAGIC.every((b, i) => bytes[i] === b);
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * The header at the start of `bytes` (which may hold more: the payload, a whole flash slot).
 * Checks every header field, and that the whole image fits MAX_IMAGE_SIZE; not that `bytes`
 * holds the whole image.
 */
export function decodeHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length < IMAGE_HEADER_SIZE) {
    throw new FirmwareImageError('truncated', `image header needs ${IMAGE_HEADER_SIZE} bytes, got ${bytes.length}`);
  }
  if (!magicMatches(bytes)) {
    const seen = toHex(bytes.subarray(0, 4));
    throw new FirmwareImageError('badMagic', `bytes 0..3 are ${seen}, not the image magic "FUFW" (46554657): not a Fulcrum firmware image`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, IMAGE_HEADER_SIZE);
  const formatVersion = view.getUint16(4, true);
  if (formatVersion !== IMAGE_FORMAT_VERSION) {
    throw new FirmwareImageError('badHeader', `format version ${formatVersion} at byte 4 is not supported (this reader knows ${IMAGE_FORMAT_VERSION})`);
  }
  const headerSize = view.getUint16(6, true);
  if (headerSize !== IMAGE_HEADER_SIZE) {
    throw new FirmwareImageError(
      'badHeader',
      `header size ${headerSize} at byte 6 is not ${IMAGE_HEADER_SIZE}, the size of a format ${IMAGE_FORMAT_VERSION} header`,
    );
  }
  for (let at = RESERVED_AT; at < IMAGE_HEADER_SIZE; at++) {
    if (bytes[at] !== 0) {
      throw new FirmwareImageError(
        'badHeader',
        `reserved header byte ${at} is 0x${bytes[at]!.toString(16).padStart(2, '0')}, must be 0 (an image of a newer format?)`,
      );
    }
  }
  const payloadSize = view.getUint32(20, true);
  const trailerSize = view.getUint32(24, true);
  if (trailerSize < TRAILER_HEADER_SIZE || trailerSize > MAX_TRAILER_SIZE) {
    throw new FirmwareImageError('badHeader', `trailer size ${trailerSize} at byte 24 is outside ${TRAILER_HEADER_SIZE}..${MAX_TRAILER_SIZE}`);
  }
  const total = IMAGE_HEADER_SIZE + payloadSize + trailerSize;
  if (total > MAX_IMAGE_SIZE) {
    throw new FirmwareImageError(
      'tooLarge',
      `header declares a ${total}-byte image (payload size ${payloadSize} at byte 20), larger than the ${MAX_IMAGE_SIZE}-byte limit`,
    );
  }
  return {
    version: { major: view.getUint8(8), minor: view.getUint8(9), patch: view.getUint16(10, true), build: view.getUint32(12, true) },
    securityCounter: view.getUint32(16, true),
    payloadSize,
    flags: view.getUint32(28, true),
    trailerSize,
  };
}

/** The 64 header bytes. Any field out of range → FirmwareImageError ('badHeader', or 'tooLarge' for the sizes). */
export function encodeHeader(header: ImageHeader): Uint8Array {
  checkVersion(header.version);
  for (const field of ['securityCounter', 'payloadSize', 'flags'] as const) {
    const value = header[field];
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      throw new FirmwareImageError('badHeader', `${field} ${value} is not an integer in 0..${U32_MAX} (${hex32(U32_MAX)})`);
    }
  }
  if (!Number.isInteger(header.trailerSize) || header.trailerSize < TRAILER_HEADER_SIZE || header.trailerSize > MAX_TRAILER_SIZE) {
    throw new FirmwareImageError('badHeader', `trailerSize ${header.trailerSize} is outside ${TRAILER_HEADER_SIZE}..${MAX_TRAILER_SIZE}`);
  }
  const total = IMAGE_HEADER_SIZE + header.payloadSize + header.trailerSize;
  if (total > MAX_IMAGE_SIZE) {
    throw new FirmwareImageError('tooLarge', `a ${header.payloadSize}-byte payload makes a ${total}-byte image, larger than the ${MAX_IMAGE_SIZE}-byte limit`);
  }
  const bytes = new Uint8Array(IMAGE_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes.set(IMAGE_MAGIC, 0);
  view.setUint16(4, IMAGE_FORMAT_VERSION, true);
  view.setUint16(6, IMAGE_HEADER_SIZE, true);
  view.setUint8(8, header.version.major);
  view.setUint8(9, header.version.minor);
  view.setUint16(10, header.version.patch, true);
  view.setUint32(12, header.version.build, true);
  view.setUint32(16, header.securityCounter, true);
  view.setUint32(20, header.payloadSize, true);
  view.setUint32(24, header.trailerSize, true);
  view.setUint32(28, header.flags, true);
  return bytes;
}

/** Whole-image size (header + payload + trailer) from the header alone; throws what decodeHeader throws. */
export function peekImageSize(headerBytes: Uint8Array): number {
  const header = decodeHeader(headerBytes);
  return IMAGE_HEADER_SIZE + header.payloadSize + header.trailerSize;
}
