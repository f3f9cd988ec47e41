import { standardFlashSize, standardLayout, type FlashLayout } from '../../firmware/boot/layout.js';
import type { FlashGeometry } from '../../firmware/ports.js';

/** A common serial NOR part: 4 KiB sectors, 16-byte program granules. */
export const SIM_SECTOR_SIZE = 4096;
export const SIM_WRITE_SIZE = 16;
/** Each slot of a simulated appliance: room for any image the simulator's tests and demos send. */
export const SIM_SLOT_SIZE = 1024 * 1024;

/** The geometry and layout of a simulated appliance's flash with slots of `slotSize` bytes (whole sectors). */
export function simFlash(slotSize: number = SIM_SLOT_SIZE): { geometry: FlashGeometry; layout: FlashLayout } {
  const geometry: FlashGeometry = { size: standardFlashSize(SIM_SECTOR_SIZE, slotSize), sectorSize: SIM_SECTOR_SIZE, writeSize: SIM_WRITE_SIZE };
  return { geometry, layout: standardLayout(geometry, slotSize) };
}
