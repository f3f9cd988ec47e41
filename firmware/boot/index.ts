/** The bootloader's public face: what the appliance firmware and the simulator build on. */
export { Bootloader, DEFAULT_TRIAL_ATTEMPTS, type BootEvent, type BootloaderOptions, type BootResult, type SlotChoice } from './bootloader.js';
export { Installer, type InstallSpec } from './installer.js';
export { BootError, type BootErrorCode } from './errors.js';
export { ERASED_BYTE, FlashError, type FlashErrorCode, type FlashGeometry, type FlashPort } from './flash-port.js';
export { SLOT_NAMES, checkLayout, otherSlot, standardFlashSize, standardLayout, type FlashLayout, type SlotName, type SlotRegion } from './layout.js';
export type { SlotProblem } from './boot-record.js';
export type { BootStatus, SlotState, SlotStatus } from './status.js';
