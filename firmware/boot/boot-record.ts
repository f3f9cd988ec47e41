/**
 * The boot state: what the bootloader remembers across power cycles, as one fixed-size record.
 * boot-state-store.ts keeps two copies of it; this file is the record and its bytes.
 *
 * Little-endian, like the image header (both are read by the bootloader of a small CPU):
 *
 *   off  size  field
 *     0     4  magic "FBST"
 *     4     1  format version (1)
 *     5     1  confirmed slot (0 = A, 1 = B): boots when no trial is due
 *     6     1  pending slot (0, 1; 0xFF = none): activated for a trial
 *     7     1  trial attempts left for the pending slot
 *     8     4  sequence: +1 at every write; the copy with the highest valid one is current
 *    12     4  minimum security counter (anti-rollback)
 *    16    52  slot A entry
 *    68    52  slot B entry
 *   120    40  install entry
 *   160     4  CRC-32 of bytes 0..159
 *
 *   slot entry:  0 u8 state (0 empty, 1 writing, 2 ready, 3 invalid)
 *                1 u8 flags (bit 0: confirmed since written; bit 1: image fields below are known)
 *                2 u8 problem (0 none, 1 verification, 2 trial, 3 security counter)   3 u8 zero
 *                4 version: u8 major, u8 minor, u16 patch, u32 build (as in the image header)
 *               12 u32 security counter   16 u32 image size   20 32 bytes SHA-256 of the image file
 *   install:     0 u8 slot (0xFF = none)   1 3 bytes zero   4 u32 size   8 32 bytes SHA-256
 *
 * Any byte out of its range makes the whole record invalid, exactly as a CRC mismatch does.
 */

import { crc32 } from '../../src/protocol/digest.js';
import type { FirmwareVersion } from '../../src/protocol/image/image.js';
import type { SlotName } from './layout.js';

export type StoredSlotState = 'empty' | 'writing' | 'ready' | 'invalid';
/** Why a slot is invalid: its image failed verification, failed its trial, or is older than the anti-rollback minimum. */
export type SlotProblem = 'verification' | 'trial' | 'securityCounter';

export interface SlotImageInfo {
  version: FirmwareVersion;
  securityCounter: number;
  /** Bytes of the whole image. */
  size: number;
  /** SHA-256 of the whole image (what an uploader announces), not the digest inside the trailer. */
  sha256: Uint8Array;
}

export interface SlotRecord {
  state: StoredSlotState;
  /** Confirmed at some time since it was written: rollback() may go back to it. */
  wasConfirmed: boolean;
  problem: SlotProblem | null;
  image: SlotImageInfo | null;
}

/** An upload in progress: what begin() announced, kept so a later begin of the same image resumes. */
export interface InstallRecord {
  slot: SlotName;
  size: number;
  sha256: Uint8Array;
}

export interface BootState {
  sequence: number;
  confirmed: SlotName;
  pending: SlotName | null;
  attemptsLeft: number;
  minSecurityCounter: number;
  slots: Readonly<Record<SlotName, SlotRecord>>;
  install: InstallRecord | null;
}

export const BOOT_RECORD_MAGIC = Uint8Array.of(0x46, 0x42, 0x53, 0x54); // "FBST"
export const BOOT_RECORD_VERSION = 1;
export const BOOT_RECORD_SIZE = 164;

const SLOT_AT = { A: 16, B: 68 } as const;
const INSTALL_AT = 120;
const CRC_AT = 160;
const NONE = 0xff;
const STATES: readonly StoredSlotState[] = ['empty', 'writing', 'ready', 'invalid'];
const PROBLEMS: readonly (SlotProblem | null)[] = [null, 'verification', 'trial', 'securityCounter'];
const SLOTS: readonly SlotName[] = ['A', 'B'];
const FLAG_CONFIRMED = 1;
const FLAG_IMAGE = 2;

export const EMPTY_SLOT: SlotRecord = { state: 'empty', wasConfirmed: false, problem: null, image: null };

export function encodeBootRecord(s: BootState): Uint8Array {
  const out = new Uint8Array(BOOT_RECORD_SIZE);
  const view = new DataView(out.buffer);
  out.set(BOOT_RECORD_MAGIC, 0);
  out[4] = BOOT_RECORD_VERSION;
  out[5] = SLOTS.indexOf(s.confirmed);
  out[6] = s.pending === null ? NONE : SLOTS.indexOf(s.pending);
  out[7] = u8(s.attemptsLeft, 'attempts left');
  view.setUint32(8, u32(s.sequence, 'sequence'), true);
  view.setUint32(12, u32(s.minSecurityCounter, 'minimum security counter'), true);
  for (const slot of SLOTS) encodeSlot(view, SLOT_AT[slot], s.slots[slot]);
  const install = s.install;
  out[INSTALL_AT] = install === null ? NONE : SLOTS.indexOf(install.slot);
  if (install !== null) {
    view.setUint32(INSTALL_AT + 4, u32(install.size, 'install size'), true);
    out.set(sha(install.sha256), INSTALL_AT + 8);
  }
  view.setUint32(CRC_AT, crc32(out.subarray(0, CRC_AT)), true);
  return out;
}

function encodeSlot(view: DataView, at: number, r: SlotRecord): void {
  view.setUint8(at, STATES.indexOf(r.state));
  view.setUint8(at + 1, (r.wasConfirmed ? FLAG_CONFIRMED : 0) | (r.image ? FLAG_IMAGE : 0));
  view.setUint8(at + 2, PROBLEMS.indexOf(r.problem));
  if (!r.image) return;
  const { version, securityCounter, size, sha256 } = r.image;
  view.setUint8(at + 4, version.major);
  view.setUint8(at + 5, version.minor);
  view.setUint16(at + 6, version.patch, true);
  view.setUint32(at + 8, version.build, true);
  view.setUint32(at + 12, u32(securityCounter, 'security counter'), true);
  view.setUint32(at + 16, u32(size, 'image size'), true);
  new Uint8Array(view.buffer).set(sha(sha256), at + 20);
}

/** The record at the start of `bytes`, or null when it is not one this firmware wrote whole. */
export function decodeBootRecord(bytes: Uint8Array): BootState | null {
  if (bytes.length < BOOT_RECORD_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, BOOT_RECORD_SIZE);
  if (view.getUint32(CRC_AT, true) !== crc32(bytes.subarray(0, CRC_AT))) return null;
  if (!BOOT_RECORD_MAGIC.every((b, i) => bytes[i] === b) || bytes[4] !== BOOT_RECORD_VERSION) return null;
  const confirmed = SLOTS[bytes[5]!];
  const pendingByte = bytes[6]!;
  const pending = pendingByte === NONE ? null : SLOTS[pendingByte];
  if (confirmed === undefined || pending === undefined) return null;
  const a = decodeSlot(view, bytes, SLOT_AT.A);
  const b = decodeSlot(view, bytes, SLOT_AT.B);
  if (!a || !b) return null;
  const installByte = bytes[INSTALL_AT]!;
  let install: InstallRecord | null = null;
  if (installByte !== NONE) {
    const slot = SLOTS[installByte];
    if (slot === undefined || !zero(bytes, INSTALL_AT + 1, 3)) return null;
    install = { slot, size: view.getUint32(INSTALL_AT + 4, true), sha256: bytes.slice(INSTALL_AT + 8, INSTALL_AT + 40) };
  } else if (!zero(bytes, INSTALL_AT + 1, 39)) {
    return null;
  }
  return {
    sequence: view.getUint32(8, true),
    confirmed,
    pending,
    attemptsLeft: bytes[7]!,
    minSecurityCounter: view.getUint32(12, true),
    slots: { A: a, B: b },
    install,
  };
}

function decodeSlot(view: DataView, bytes: Uint8Array, at: number): SlotRecord | null {
  const state = STATES[bytes[at]!];
  const flags = bytes[at + 1]!;
  const problem = PROBLEMS[bytes[at + 2]!];
  if (state === undefined || problem === undefined || (flags & ~(FLAG_CONFIRMED | FLAG_IMAGE)) !== 0 || bytes[at + 3] !== 0) return null;
  let image: SlotImageInfo | null = null;
  if (flags & FLAG_IMAGE) {
    image = {
      version: { major: bytes[at + 4]!, minor: bytes[at + 5]!, patch: view.getUint16(at + 6, true), build: view.getUint32(at + 8, true) },
      securityCounter: view.getUint32(at + 12, true),
      size: view.getUint32(at + 16, true),
      sha256: bytes.slice(at + 20, at + 52),
    };
  } else if (!zero(bytes, at + 4, 48)) {
    return null;
  }
  return { state, wasConfirmed: (flags & FLAG_CONFIRMED) !== 0, problem, image };
}

const zero = (bytes: Uint8Array, at: number, n: number): boolean => bytes.subarray(at, at + n).every((b) => b === 0);

function u8(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`boot record: ${what} ${n} does not fit a byte`);
  return n;
}

function u32(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`boot record: ${what} ${n} does not fit 32 bits`);
  return n;
}

function sha(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 32) throw new RangeError(`boot record: a SHA-256 is 32 bytes, got ${bytes.length}`);
  return bytes;
}
