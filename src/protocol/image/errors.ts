/**
 * The typed errors of the firmware image format. Every rejection of an image is a
 * FirmwareImageError whose code names the check that failed (docs/firmware.md lists the order),
 * so a bootloader can count and report them and the agent can map them to exit codes.
 */

export type ImageErrorCode =
  'truncated' | 'badMagic' | 'badHeader' | 'badTrailer' | 'badHash' | 'untrustedKey' | 'badSignature' | 'securityCounter' | 'badManifest' | 'tooLarge';

/** An image (or a version text, or a manifest) that is not acceptable. The message names the field or byte offset. */
export class FirmwareImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FirmwareImageError';
  }
}

/**
 * - `badPem`: not PEM text, the wrong PEM label (a public key where a private key belongs, a
 *   certificate…), an encrypted private key, or DER that does not decode;
 * - `wrongKeyType`: a well-formed key that is not Ed25519;
 * - `badKey`: raw key bytes of the wrong length, or a public key that does not belong to the
 *   private key it is paired with.
 */
export type KeyErrorCode = 'badPem' | 'wrongKeyType' | 'badKey';

/** A signing or trusted key that cannot be used: never about an image, always about configuration. */
export class FirmwareKeyError extends Error {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FirmwareKeyError';
  }
}
