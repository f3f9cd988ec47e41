import { FirmwareImageError, type TrustedKey } from '../../src/protocol/image/image.js';
import { EMPTY_SLOT, type BootState } from './boot-record.js';
import type { BootStateStore } from './boot-state-store.js';
import { BootError } from './errors.js';
import type { FlashPort } from './flash-port.js';
import type { SlotRegion } from './layout.js';
import { eraseRange, holds, programPadded, verifyBytes } from './slots.js';

/**
 * A blank boot state: a new box (or one whose both copies are unreadable). The factory image
 * goes into slot A — unless A already holds it: a power cut after writing it, before the boot
 * state — and becomes the confirmed image, its security counter the minimum. The boot state is
 * written last, so a power cut before it finds a blank boot state again and does the same.
 */
export async function installFactoryImage(
  flash: FlashPort,
  slotA: SlotRegion,
  options: { trustedKeys: readonly TrustedKey[]; factoryImage: Uint8Array },
  store: BootStateStore,
): Promise<BootState> {
  const image = options.factoryImage;
  let verified;
  try {
    if (image.length > slotA.size) throw new FirmwareImageError('tooLarge', `the factory image is ${image.length} bytes, slot A holds ${slotA.size}`);
    verified = verifyBytes(image, options.trustedKeys, 0);
  } catch (err) {
    if (!(err instanceof FirmwareImageError)) throw err;
    throw new BootError('badFactoryImage', `the factory image is refused (${err.code}): ${err.message}`, err.code, { cause: err });
  }
  const file = image.subarray(0, verified.image.size);
  if (!(await holds(flash, slotA.offset, file))) {
    await eraseRange(flash, slotA.offset, file.length);
    await programPadded(flash, slotA.offset, file);
  }
  return store.save({
    confirmed: 'A',
    pending: null,
    attemptsLeft: 0,
    minSecurityCounter: verified.info.securityCounter,
    slots: { A: { state: 'ready', wasConfirmed: true, problem: null, image: verified.info }, B: EMPTY_SLOT },
    install: null,
  });
}
