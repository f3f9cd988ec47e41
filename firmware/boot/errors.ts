import type { ImageErrorCode } from '../../src/protocol/image/image.js';

/**
 * Why the bootloader refused or could not do something. The message is for the operator; the
 * code is for the management channels, which map it to a wire status without parsing messages.
 */
export type BootErrorCode =
  /** The flash layout does not fit the flash geometry (host configuration). */
  | 'badLayout'
  /** The factory image the host provides does not verify (host configuration). */
  | 'badFactoryImage'
  /** Neither slot holds an image that verifies: the box cannot start. */
  | 'noBootableImage'
  /** boot() was called twice on one power-on. */
  | 'alreadyBooted'
  /** An operation that needs to know the running image, before boot(). */
  | 'notBooted'
  /** No slot may be written now (a trial is pending or running, or a rollback waits for a reboot). */
  | 'noInstallTarget'
  /** The installer is not in a state to take this call (no begin, a failed write, replaced by a newer installer). */
  | 'noInstall'
  /** begin() with a size that is zero or larger than a slot, or a SHA-256 that is not 32 bytes. */
  | 'badRequest'
  /** A write past the announced size, or after a gap. */
  | 'badOffset'
  /** Bytes sent again for a range already written differ from what the slot holds. */
  | 'mismatch'
  /** finish() before every announced byte arrived. */
  | 'incomplete'
  /** The bytes received do not hash to the SHA-256 announced at begin. */
  | 'hashMismatch'
  /** The image's header declares another size than the one announced at begin (bytes after the image). */
  | 'sizeMismatch'
  /** The image in the slot was refused: `imageCode` says which check failed. */
  | 'imageRefused'
  /** activate() with no verified, not yet activated image in the other slot. */
  | 'nothingToActivate'
  /** confirm() while the running image cannot be made permanent. */
  | 'nothingToConfirm'
  /** rollback() with no previously confirmed image that still verifies. */
  | 'noRollbackTarget';

export class BootError extends Error {
  override readonly name = 'BootError';

  constructor(
    readonly code: BootErrorCode,
    message: string,
    /** Set when code is 'imageRefused' (and for the per-slot reasons of 'noBootableImage' in the message). */
    readonly imageCode: ImageErrorCode | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
