/**
 * Fulcrum firmware images: header + payload + TLV trailer, in the spirit of MCUboot.
 * docs/firmware.md is the specification; header.ts and trailer.ts hold the byte layouts.
 *
 * What is signed: the SHA-256 over header + payload is stored in the trailer, and the Ed25519
 * signature is over those 32 digest bytes. The header (version, security counter, sizes, flags)
 * is thereby signed too; the trailer is not hashed, and needs not be: its key id only selects
 * which trusted key to try, and the signature proves itself.
 *
 * This module is the single entry point: it re-exports what the bootloader, the simulator and
 * the agent need from the files beside it.
 */

import { sha256, toHex } from '../digest.js';
import { FirmwareImageError } from './errors.js';
import { decodeHeader, encodeHeader, IMAGE_HEADER_SIZE, type ImageHeader } from './header.js';
import { keyIdOf, signWith, verifyWith, type SigningKey, type TrustedKey } from './keys.js';
import { decodeTrailer, encodeTrailer, STANDARD_TRAILER_SIZE } from './trailer.js';
import { formatVersion, type FirmwareVersion } from './version.js';

export { FirmwareImageError, FirmwareKeyError, type ImageErrorCode, type KeyErrorCode } from './errors.js';
export { IMAGE_FORMAT_VERSION, IMAGE_HEADER_SIZE, IMAGE_MAGIC, MAX_IMAGE_SIZE, MAX_TRAILER_SIZE, peekImageSize, type ImageHeader } from './header.js';
export { ED25519_KEY_SIZE, generateSigningKey, keyIdOf, signingKeyFromSeed, trustedKeyOf, type SigningKey, type TrustedKey } from './keys.js';
export {
  MANIFEST_MARKER,
  SIMULATED_BEHAVIOURS,
  encodeManifest,
  fillerBytes,
  isSimulatedBehaviour,
  readManifest,
  simulatorPayload,
  type SimulatedBehaviour,
  type SimulatorManifest,
} from './manifest.js';
export { ED25519_SIGNATURE_SIZE, KEY_ID_SIZE, SHA256_SIZE, STANDARD_TRAILER_SIZE, TLV, TLV_INFORMATIONAL_FROM } from './trailer.js';
export { compareVersions, formatVersion, parseVersion, type FirmwareVersion } from './version.js';

export interface ParsedImage {
  header: ImageHeader;
  /** A view into the bytes given to parseImage (no copy): do not change those while using it. */
  payload: Uint8Array;
  /** SHA-256 over header + payload, as stored in the trailer and checked. */
  sha256: Uint8Array;
  keyId: Uint8Array;
  signature: Uint8Array;
  /** Bytes of the whole image: header + payload + trailer. */
  size: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const hex = toHex;

/**
 * Checks structure and hash, not the signature (verifyImage does). `bytes` may run past the
 * image (a whole flash slot): the sizes in the header decide where it ends, and what follows is
 * ignored. Throws FirmwareImageError and nothing else, whatever the input.
 */
export function parseImage(bytes: Uint8Array): ParsedImage {
  const header = decodeHeader(bytes);
  const trailerAt = IMAGE_HEADER_SIZE + header.payloadSize;
  const size = trailerAt + header.trailerSize;
  if (bytes.length < size) {
    throw new FirmwareImageError(
      'truncated',
      `the header declares a ${size}-byte image (${header.payloadSize}-byte payload, ${header.trailerSize}-byte trailer), only ${bytes.length} bytes are present`,
    );
  }
  const trailer = decodeTrailer(bytes.subarray(trailerAt, size), trailerAt);
  const digest = sha256(bytes.subarray(0, trailerAt));
  if (!sameBytes(digest, trailer.sha256)) {
    throw new FirmwareImageError(
      'badHash',
      `SHA-256 of bytes 0..${trailerAt - 1} (header + payload) is ${hex(digest)}, the trailer says ${hex(trailer.sha256)}: the image is damaged`,
    );
  }
  return { header, payload: bytes.subarray(IMAGE_HEADER_SIZE, trailerAt), sha256: digest, keyId: trailer.keyId, signature: trailer.signature, size };
}

/**
 * parseImage, then: the key id names a trusted key (untrustedKey), the signature verifies under
 * it (badSignature), and the security counter is at least `minSecurityCounter` (securityCounter).
 * Trusted keys are configuration: a malformed one throws FirmwareKeyError.
 */
export function verifyImage(bytes: Uint8Array, trusted: readonly TrustedKey[], minSecurityCounter = 0): ParsedImage {
  const image = parseImage(bytes);
  const key = trusted.find((k) => sameBytes(k.keyId, image.keyId));
  if (!key) {
    const known = trusted.length === 0 ? 'no key is trusted' : `trusted: ${trusted.map((k) => hex(k.keyId)).join(', ')}`;
    throw new FirmwareImageError('untrustedKey', `signed by key id ${hex(image.keyId)}, which is not trusted (${known})`);
  }
  if (!verifyWith(key.publicKey, image.sha256, image.signature)) {
    throw new FirmwareImageError('badSignature', `the Ed25519 signature in the trailer does not verify under trusted key ${hex(key.keyId)}`);
  }
  if (image.header.securityCounter < minSecurityCounter) {
    throw new FirmwareImageError(
      'securityCounter',
      `image ${formatVersion(image.header.version)} has security counter ${image.header.securityCounter}, below the appliance's minimum ${minSecurityCounter} (anti-rollback)`,
    );
  }
  return image;
}

export interface ImageSpec {
  version: FirmwareVersion;
  securityCounter: number;
  payload: Uint8Array;
  /** Carried and signed; this format gives no bit a meaning. Default 0. */
  flags?: number;
}

/** A signed image. Fields out of range → FirmwareImageError ('badHeader' / 'tooLarge'); a bad key → FirmwareKeyError. */
export function buildImage(spec: ImageSpec, signingKey: SigningKey): Uint8Array {
  const header = encodeHeader({
    version: spec.version,
    securityCounter: spec.securityCounter,
    payloadSize: spec.payload.length,
    flags: spec.flags ?? 0,
    trailerSize: STANDARD_TRAILER_SIZE,
  });
  const image = new Uint8Array(IMAGE_HEADER_SIZE + spec.payload.length + STANDARD_TRAILER_SIZE);
  image.set(header);
  image.set(spec.payload, IMAGE_HEADER_SIZE);
  const trailerAt = IMAGE_HEADER_SIZE + spec.payload.length;
  const digest = sha256(image.subarray(0, trailerAt));
  const signature = signWith(signingKey, digest);
  image.set(encodeTrailer({ keyId: keyIdOf(signingKey.publicKey), sha256: digest, signature }), trailerAt);
  return image;
}
