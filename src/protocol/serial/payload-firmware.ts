/**
 * Firmware message payloads, both directions. Layouts, one per type code:
 *
 *   fwBegin       0x0a  u32 size  32 sha256                 fwBeginOk     0x8a  u32 resumeOffset
 *   fwChunk       0x0b  u32 offset  data (to the end)       fwChunkOk     0x8b  u32 offset
 *   fwEnd         0x0c  (empty)                             fwEndOk       0x8c  u8 slot  u32 securityCounter  str8 version
 *   fwActivate    0x0d  (empty)                             fwActivateOk  0x8d  u8 slot  str8 version
 *   fwConfirm     0x0e  (empty)                             fwConfirmOk   0x8e  u8 slot  str8 version
 *   fwRollback    0x0f  (empty)                             fwRollbackOk  0x8f  u8 slot  str8 version
 *   fwStatus      0x10  (empty)                             fwStatusOk    0x90  status
 *   reboot        0x11  (empty)                             rebootOk      0x91  (empty)
 *
 *   slot   := u8 0 (A) or 1 (B)
 *   status := slot active  u8 activeConfirmed  str8 activeVersion  u8 attemptsLeft
 *             u32 minSecurityCounter  u8 slotCount  (slot  u8 state  str8 version  u32 securityCounter)*
 *             -- securityCounter 0xffffffff: the slot holds no image
 *
 * The upload is resumable by (sha256, size): fwBegin of the same image answers the offset up to
 * which the appliance already holds it, and the agent sends from there.
 */

import { SlotStateCode, type FirmwareStatus, type Request, type Response } from './messages.js';
import type { ByteReader, ByteWriter } from '../bytes/index.js';

export const SHA256_BYTES = 32;
/** Bytes of a fwChunk payload before its data. */
export const FW_CHUNK_HEADER_BYTES = 4;
const NO_COUNTER = 0xffff_ffff;

export type FirmwareRequest = Extract<Request, { type: `fw${string}` | 'reboot' }>;
export type FirmwareResponse = Extract<Response, { type: `fw${string}` | 'rebootOk' }>;

export const FIRMWARE_REQUEST_TYPES: readonly FirmwareRequest['type'][] = [
  'fwBegin',
  'fwChunk',
  'fwEnd',
  'fwActivate',
  'fwConfirm',
  'fwRollback',
  'fwStatus',
  'reboot',
];
export const FIRMWARE_RESPONSE_TYPES: readonly FirmwareResponse['type'][] = [
  'fwBeginOk',
  'fwChunkOk',
  'fwEndOk',
  'fwActivateOk',
  'fwConfirmOk',
  'fwRollbackOk',
  'fwStatusOk',
  'rebootOk',
];

const writeSlot = (out: ByteWriter, slot: 'A' | 'B') => out.u8(slot === 'A' ? 0 : 1, 'slot');

function readSlot(input: ByteReader): 'A' | 'B' {
  const at = input.offset;
  const code = input.u8('slot');
  if (code > 1) throw input.error(`slot ${code} is neither 0 (A) nor 1 (B)`, at);
  return code === 0 ? 'A' : 'B';
}

export function encodeFirmwareRequest(request: FirmwareRequest, out: ByteWriter): void {
  switch (request.type) {
    case 'fwBegin':
      out.u32(request.size, 'fwBegin size');
      out.fixed(request.sha256, SHA256_BYTES, 'fwBegin sha256');
      return;
    case 'fwChunk':
      out.u32(request.offset, 'fwChunk offset');
      out.bytes(request.bytes);
      return;
    default:
      return;
  }
}

export function decodeFirmwareRequest(type: FirmwareRequest['type'], input: ByteReader): FirmwareRequest {
  switch (type) {
    case 'fwBegin':
      return { type, size: input.u32('size'), sha256: input.bytes(SHA256_BYTES, 'sha256') };
    case 'fwChunk':
      return { type, offset: input.u32('offset'), bytes: input.rest() };
    default:
      return { type };
  }
}

export function encodeFirmwareResponse(response: FirmwareResponse, out: ByteWriter): void {
  switch (response.type) {
    case 'fwBeginOk':
      return out.u32(response.resumeOffset, 'fwBeginOk resumeOffset');
    case 'fwChunkOk':
      return out.u32(response.offset, 'fwChunkOk offset');
    case 'fwEndOk':
      writeSlot(out, response.slot);
      out.u32(response.securityCounter, 'fwEndOk securityCounter');
      return out.str8(response.version, 'fwEndOk version');
    case 'fwActivateOk':
    case 'fwConfirmOk':
    case 'fwRollbackOk':
      writeSlot(out, response.slot);
      return out.str8(response.version, `${response.type} version`);
    case 'fwStatusOk':
      return writeStatus(out, response.status);
    case 'rebootOk':
      return;
  }
}

export function decodeFirmwareResponse(type: FirmwareResponse['type'], input: ByteReader): FirmwareResponse {
  switch (type) {
    case 'fwBeginOk':
      return { type, resumeOffset: input.u32('resumeOffset') };
    case 'fwChunkOk':
      return { type, offset: input.u32('offset') };
    case 'fwEndOk': {
      const slot = readSlot(input);
      const securityCounter = input.u32('securityCounter');
      return { type, slot, securityCounter, version: input.str8('version') };
    }
    case 'fwActivateOk':
    case 'fwConfirmOk':
    case 'fwRollbackOk': {
      const slot = readSlot(input);
      return { type, slot, version: input.str8('version') };
    }
    case 'fwStatusOk':
      return { type, status: readStatus(input) };
    case 'rebootOk':
      return { type };
  }
}

function writeStatus(out: ByteWriter, status: FirmwareStatus): void {
  writeSlot(out, status.active.slot);
  out.bool(status.active.confirmed);
  out.str8(status.active.version, 'status active version');
  out.u8(status.attemptsLeft, 'status attemptsLeft');
  out.u32(status.minSecurityCounter, 'status minSecurityCounter');
  out.u8(status.slots.length, 'status slot count');
  for (const s of status.slots) {
    writeSlot(out, s.slot);
    out.u8(SlotStateCode[s.state], 'slot state');
    out.str8(s.version, 'slot version');
    out.u32(s.securityCounter ?? NO_COUNTER, 'slot securityCounter');
  }
}

function readStatus(input: ByteReader): FirmwareStatus {
  const slot = readSlot(input);
  const confirmed = input.bool('active confirmed');
  const version = input.str8('active version');
  const attemptsLeft = input.u8('attemptsLeft');
  const minSecurityCounter = input.u32('minSecurityCounter');
  const count = input.u8('slot count');
  const slots: FirmwareStatus['slots'] = [];
  for (let i = 0; i < count; i++) {
    const s = readSlot(input);
    const state = input.code(SlotStateCode, 'slot state');
    const v = input.str8('slot version');
    const counter = input.u32('slot securityCounter');
    slots.push({ slot: s, state, version: v, securityCounter: counter === NO_COUNTER ? null : counter });
  }
  return { active: { slot, version, confirmed }, slots, minSecurityCounter, attemptsLeft };
}
