/**
 * The TLV trailer that follows the payload. Little-endian, like the header.
 *
 *   off  size  field
 *     0     4  magic "FUTL"
 *     4     4  total trailer length, these 8 bytes included (must equal the header's trailer size)
 *     8     …  TLVs, back to back, filling the trailer exactly: u16 type, u16 length, value
 *
 * Types 0x0000–0x7fff are critical: a reader must understand each one it meets, so an unknown
 * one refuses the image (a later format may add a TLV that changes what the image means, and an
 * old bootloader must not boot it half-understood). Types 0x8000–0xffff are informational:
 * skipped by readers that do not know them. The trailer is not covered by the hash, so an
 * informational TLV is unauthenticated and must never decide anything.
 */

import { toHex } from '../digest.js';
import { FirmwareImageError } from './errors.js';
import { TRAILER_HEADER_SIZE } from './header.js';

export const TRAILER_MAGIC = Uint8Array.of(0x46, 0x55, 0x54, 0x4c); // "FUTL"
export const TLV_HEADER_SIZE = 4;

export const TLV = {
  /** First 8 bytes of the SHA-256 of the signer's raw 32-byte Ed25519 public key. */
  keyId: 0x0001,
  /** SHA-256 over header + payload. */
  sha256: 0x0010,
  /** Ed25519 signature over the 32 bytes of the SHA-256 TLV. */
  ed25519: 0x0020,
} as const;

/** Types at or above this are informational: skipped when unknown. */
export const TLV_INFORMATIONAL_FROM = 0x8000;

export const KEY_ID_SIZE = 8;
export const SHA256_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

const REQUIRED = [
  { type: TLV.keyId, name: 'key id', size: KEY_ID_SIZE },
  { type: TLV.sha256, name: 'SHA-256', size: SHA256_SIZE },
  { type: TLV.ed25519, name: 'Ed25519 signature', size: ED25519_SIGNATURE_SIZE },
] as const;

/** The trailer buildImage writes: its header and the three required TLVs. */
export const STANDARD_TRAILER_SIZE = TRAILER_HEADER_SIZE + REQUIRED.reduce((n, t) => n + TLV_HEADER_SIZE + t.size, 0);

export interface TrailerFields {
  keyId: Uint8Array;
  sha256: Uint8Array;
  signature: Uint8Array;
}

function tlvName(type: number): string {
  return `TLV type 0x${type.toString(16).padStart(4, '0')}`;
}

/**
 * The fields of a trailer. `trailer` holds exactly the trailer's bytes (the header's trailer
 * size of them); `imageOffset` is where it starts in the image, so messages give image offsets.
 */
export function decodeTrailer(trailer: Uint8Array, imageOffset: number): TrailerFields {
  const at = (n: number): number => imageOffset + n;
  if (!TRAILER_MAGIC.every((b, i) => trailer[i] === b)) {
    const seen = toHex(trailer.subarray(0, 4));
    throw new FirmwareImageError(
      'badTrailer',
      `no trailer magic "FUTL" (4655544c) at byte ${at(0)} (found ${seen}): the payload size in the header does not match the image`,
    );
  }
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const total = view.getUint32(4, true);
  if (total !== trailer.length) {
    throw new FirmwareImageError('badTrailer', `trailer length ${total} at byte ${at(4)} does not match the header's trailer size ${trailer.length}`);
  }
  const found = new Map<number, Uint8Array>();
  let offset = TRAILER_HEADER_SIZE;
  while (offset < trailer.length) {
    if (trailer.length - offset < TLV_HEADER_SIZE) {
      throw new FirmwareImageError('badTrailer', `${trailer.length - offset} stray byte(s) at byte ${at(offset)}, too few for a TLV header`);
    }
    const type = view.getUint16(offset, true);
    const length = view.getUint16(offset + 2, true);
    const valueAt = offset + TLV_HEADER_SIZE;
    if (valueAt + length > trailer.length) {
      throw new FirmwareImageError(
        'badTrailer',
        `${tlvName(type)} at byte ${at(offset)} declares ${length} bytes, past the end of the trailer at byte ${at(trailer.length)}`,
      );
    }
    const required = REQUIRED.find((r) => r.type === type);
    if (required) {
      if (found.has(type)) throw new FirmwareImageError('badTrailer', `${required.name} (${tlvName(type)}) at byte ${at(offset)} appears a second time`);
      if (length !== required.size) {
        throw new FirmwareImageError('badTrailer', `${required.name} (${tlvName(type)}) at byte ${at(offset)} is ${length} bytes, must be ${required.size}`);
      }
      found.set(type, trailer.slice(valueAt, valueAt + length));
    } else if (type < TLV_INFORMATIONAL_FROM) {
      throw new FirmwareImageError(
        'badTrailer',
        `unknown critical ${tlvName(type)} at byte ${at(offset)} (types below 0x8000 must be understood; an image for a newer bootloader?)`,
      );
    }
    offset = valueAt + length;
  }
  for (const r of REQUIRED) {
    if (!found.has(r.type)) throw new FirmwareImageError('badTrailer', `the trailer at byte ${at(0)} has no ${r.name} (${tlvName(r.type)})`);
  }
  return { keyId: found.get(TLV.keyId)!, sha256: found.get(TLV.sha256)!, signature: found.get(TLV.ed25519)! };
}

/** The standard trailer: key id, SHA-256, signature, in type order. */
export function encodeTrailer(fields: TrailerFields): Uint8Array {
  const bytes = new Uint8Array(STANDARD_TRAILER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes.set(TRAILER_MAGIC, 0);
  view.setUint32(4, STANDARD_TRAILER_SIZE, true);
  let offset = TRAILER_HEADER_SIZE;
  const values = { [TLV.keyId]: fields.keyId, [TLV.sha256]: fields.sha256, [TLV.ed25519]: fields.signature };
  for (const r of REQUIRED) {
    const value = values[r.type];
    if (value.length !== r.size) throw new RangeError(`${r.name} is ${value.length} bytes, must be ${r.size}`);
    view.setUint16(offset, r.type, true);
    view.setUint16(offset + 2, r.size, true);
    bytes.set(value, offset + TLV_HEADER_SIZE);
    offset += TLV_HEADER_SIZE + r.size;
  }
  return bytes;
}
