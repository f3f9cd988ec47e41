/**
 * Where things live on the appliance's flash. Two equal image slots (A and B) and three sectors
 * of bootloader metadata: the two copies of the boot state (each alone in its sector, so erasing
 * one never touches the other) and the install progress log.
 *
 *   standard layout:  [ slot A ][ slot B ][ boot state 0 ][ boot state 1 ][ progress ]
 */

import { BootError } from './errors.js';
import { sectorCount, type FlashGeometry } from './flash-port.js';

export type SlotName = 'A' | 'B';
export const SLOT_NAMES: readonly SlotName[] = ['A', 'B'];
export const otherSlot = (slot: SlotName): SlotName => (slot === 'A' ? 'B' : 'A');

export interface SlotRegion {
  /** Byte offset on the flash: a sector boundary. */
  readonly offset: number;
  /** Bytes: a whole number of sectors; the largest image the slot takes. */
  readonly size: number;
}

export interface FlashLayout {
  /** Sector numbers of the two boot-state copies. */
  readonly bootState: readonly [number, number];
  /** Sector number of the install progress log (see progress-log.ts). */
  readonly progress: number;
  readonly slots: Readonly<Record<SlotName, SlotRegion>>;
}

/** Bytes of flash the standard layout needs for two slots of `slotSize`. */
export const standardFlashSize = (sectorSize: number, slotSize: number): number => 2 * slotSize + 3 * sectorSize;

/** Slots first, metadata after them; `slotSize` a whole number of sectors. */
export function standardLayout(geometry: FlashGeometry, slotSize: number): FlashLayout {
  const first = (2 * slotSize) / geometry.sectorSize;
  const layout: FlashLayout = {
    slots: { A: { offset: 0, size: slotSize }, B: { offset: slotSize, size: slotSize } },
    bootState: [first, first + 1],
    progress: first + 2,
  };
  checkLayout(geometry, layout);
  return layout;
}

/** BootError('badLayout') unless every area is whole sectors, on the flash, and apart from the others. */
export function checkLayout(geometry: FlashGeometry, layout: FlashLayout): void {
  const sectors = sectorCount(geometry);
  const S = geometry.sectorSize;
  const areas: { name: string; first: number; count: number }[] = [];
  for (const slot of ['A', 'B'] as const) {
    const { offset, size } = layout.slots[slot];
    if (!Number.isInteger(offset) || offset < 0 || offset % S !== 0 || !Number.isInteger(size) || size <= 0 || size % S !== 0) {
      throw new BootError('badLayout', `slot ${slot} (${size} bytes at ${offset}) is not a whole number of ${S}-byte sectors on a sector boundary`);
    }
    areas.push({ name: `slot ${slot}`, first: offset / S, count: size / S });
  }
  if (layout.slots.A.size !== layout.slots.B.size) {
    throw new BootError('badLayout', `slots A and B differ in size (${layout.slots.A.size} and ${layout.slots.B.size} bytes)`);
  }
  areas.push({ name: 'boot state 0', first: layout.bootState[0], count: 1 });
  areas.push({ name: 'boot state 1', first: layout.bootState[1], count: 1 });
  areas.push({ name: 'progress log', first: layout.progress, count: 1 });
  for (const area of areas) {
    if (!Number.isInteger(area.first) || area.first < 0 || area.first + area.count > sectors) {
      throw new BootError('badLayout', `${area.name} (sectors ${area.first}..${area.first + area.count - 1}) is outside the ${sectors}-sector flash`);
    }
  }
  for (const [i, a] of areas.entries()) {
    for (const b of areas.slice(i + 1)) {
      if (a.first < b.first + b.count && b.first < a.first + a.count) throw new BootError('badLayout', `${a.name} and ${b.name} overlap`);
    }
  }
}
