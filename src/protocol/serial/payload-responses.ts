/**
 * Response payloads (appliance → agent). Layouts, one per type code:
 *
 *   helloOk     0x81  u16 maxPayload (≥ MIN_MAX_PAYLOAD)  u8 window (≥ 1)  identity
 *   infoOk      0x82  identity
 *   readOk      0x83  u32 snapshot  u32 total  u32 offset  data (to the end; offset + n ≤ total)
 *   putBeginOk  0x84  (empty)
 *   putChunkOk  0x85  u32 offset                   -- the offset of the chunk acknowledged
 *   putEndOk    0x86  32 candidateId  u8 committed  32 previousId
 *   commitOk    0x87  32 configId  32 previousId
 *   confirmOk   0x88  32 configId
 *   rollbackOk  0x89  32 configId
 *   groupActionOk 0x92  u8 unit (1..255)  u8 state  str8 name (1..32 bytes)  -- the membership after the action
 *   error       0xe0  u8 code (ErrorCode)  str8 message
 *
 *   identity := 32 configId  u32 uptimeSeconds  u32 pendingConfirmMs
 *               str8 model  str8 serialNumber  str8 firmware  [group]
 *   group    := str8 name (1..32 bytes)  u8 unit (1..255)  u8 state (1 active, 2 standby, 3 offline)
 *   str8     := u8 length  UTF-8 bytes
 *
 * An error's message is text for people: the encoder clips it to 255 bytes at a character
 * boundary rather than fail while reporting a failure.
 */

import { ErrorCode, type GroupMembership, type GroupState, type Identity, type Response as AnyResponse } from './messages.js';

/** The responses of this file; firmware responses are in payload-firmware.ts, config-slot ones in payload-config-slots.ts. */
type Response = Exclude<AnyResponse, { type: `fw${string}` | 'rebootOk' | 'commitNoteOk' }>;
import { MIN_MAX_PAYLOAD } from './session.js';
import { clipUtf8, type ByteReader, type ByteWriter } from '../bytes/index.js';

export const ID_BYTES = 32;
/** Bytes of a read-ok payload before its data: a piece carries at most maxPayload − this. */
export const READ_OK_HEADER_BYTES = 12;
export const ERROR_MESSAGE_MAX_BYTES = 255;

/**
 * The group trailer is optional and last: an appliance in no group sends exactly the identity
 * older agents know, and a decoder takes the trailer only when bytes remain after the firmware.
 */
export const GROUP_NAME_MAX_BYTES = 32;
const GROUP_STATE_CODE: Record<GroupState, number> = { active: 1, standby: 2, offline: 3 };
const GROUP_STATE_BY_CODE: Readonly<Record<number, GroupState>> = { 1: 'active', 2: 'standby', 3: 'offline' };

function writeIdentity(out: ByteWriter, identity: Identity): void {
  out.fixed(identity.configId, ID_BYTES, 'identity configId');
  out.u32(identity.uptimeSeconds, 'identity uptimeSeconds');
  out.u32(identity.pendingConfirmMs, 'identity pendingConfirmMs');
  out.str8(identity.model, 'identity model');
  out.str8(identity.serialNumber, 'identity serialNumber');
  out.str8(identity.firmware, 'identity firmware');
  if (identity.group) {
    if (identity.group.name.length === 0) throw new RangeError('identity group name is empty');
    if (identity.group.unit < 1) throw new RangeError('identity group unit must be 1..255');
    out.str8(identity.group.name, 'identity group name', GROUP_NAME_MAX_BYTES);
    out.u8(identity.group.unit, 'identity group unit');
    out.u8(GROUP_STATE_CODE[identity.group.state], 'identity group state');
  }
}

function writeMembership(out: ByteWriter, group: GroupMembership): void {
  if (group.unit < 1) throw new RangeError('groupActionOk unit must be 1..255');
  if (group.name.length === 0) throw new RangeError('groupActionOk group name is empty');
  out.u8(group.unit, 'groupActionOk unit');
  out.u8(GROUP_STATE_CODE[group.state], 'groupActionOk state');
  out.str8(group.name, 'groupActionOk group name', GROUP_NAME_MAX_BYTES);
}

function readMembership(input: ByteReader): GroupMembership {
  const unitAt = input.offset;
  const unit = input.u8('unit');
  if (unit < 1) throw input.error('group unit 0', unitAt);
  const state = input.code(GROUP_STATE_CODE, 'group state');
  const nameAt = input.offset;
  const name = input.str8('group name', GROUP_NAME_MAX_BYTES);
  if (name.length === 0) throw input.error('empty group name', nameAt);
  return { name, unit, state };
}

function readIdentity(input: ByteReader): Identity {
  const identity: Identity = {
    configId: input.bytes(ID_BYTES, 'configId'),
    uptimeSeconds: input.u32('uptimeSeconds'),
    pendingConfirmMs: input.u32('pendingConfirmMs'),
    model: input.str8('model'),
    serialNumber: input.str8('serialNumber'),
    firmware: input.str8('firmware'),
  };
  if (input.remaining === 0) return identity;
  // Bytes after the firmware must be a whole group; anything else is trailing garbage and says so.
  const at = input.offset;
  const extra = input.remaining;
  const trailing = (why: string, offset: number) => input.error(`${extra} trailing byte(s) after the identity are not a group: ${why}`, offset);
  const nameLength = input.u8('group name length');
  if (nameLength === 0 || nameLength > GROUP_NAME_MAX_BYTES) throw trailing(`group name of ${nameLength} bytes (1..${GROUP_NAME_MAX_BYTES})`, at);
  if (input.remaining < nameLength + 2) throw trailing('truncated group', at);
  input.offset = at;
  const name = input.str8('group name', GROUP_NAME_MAX_BYTES);
  const unitAt = input.offset;
  const unit = input.u8('group unit');
  if (unit < 1) throw trailing('group unit 0', unitAt);
  const stateAt = input.offset;
  const state = GROUP_STATE_BY_CODE[input.u8('group state')];
  if (state === undefined) throw trailing('unknown group state', stateAt);
  return { ...identity, group: { name, unit, state } };
}

export function encodeResponse(response: Response, out: ByteWriter): void {
  switch (response.type) {
    case 'helloOk':
      if (response.maxPayload < MIN_MAX_PAYLOAD) throw new RangeError(`helloOk: maxPayload ${response.maxPayload} is below ${MIN_MAX_PAYLOAD}`);
      if (response.window < 1) throw new RangeError('helloOk: window must be at least 1');
      out.u16(response.maxPayload, 'helloOk maxPayload');
      out.u8(response.window, 'helloOk window');
      writeIdentity(out, response.identity);
      return;
    case 'infoOk':
      writeIdentity(out, response.identity);
      return;
    case 'readOk':
      if (response.offset + response.bytes.length > response.total) {
        throw new RangeError(`readOk: ${response.bytes.length} bytes at ${response.offset} run past total ${response.total}`);
      }
      out.u32(response.snapshot, 'readOk snapshot');
      out.u32(response.total, 'readOk total');
      out.u32(response.offset, 'readOk offset');
      out.bytes(response.bytes);
      return;
    case 'putChunkOk':
      out.u32(response.offset, 'putChunkOk offset');
      return;
    case 'putEndOk':
      out.fixed(response.candidateId, ID_BYTES, 'putEndOk candidateId');
      out.bool(response.committed);
      out.fixed(response.previousId, ID_BYTES, 'putEndOk previousId');
      return;
    case 'commitOk':
      out.fixed(response.configId, ID_BYTES, 'commitOk configId');
      out.fixed(response.previousId, ID_BYTES, 'commitOk previousId');
      return;
    case 'confirmOk':
    case 'rollbackOk':
      out.fixed(response.configId, ID_BYTES, `${response.type} configId`);
      return;
    case 'error':
      out.u8(ErrorCode[response.code], 'error code');
      out.str8(clipUtf8(response.message, ERROR_MESSAGE_MAX_BYTES), 'error message');
      return;
    case 'groupActionOk':
      writeMembership(out, response.group);
      return;
    case 'putBeginOk':
      return;
  }
}

export function decodeResponse(type: Response['type'], input: ByteReader): Response {
  switch (type) {
    case 'helloOk': {
      const at = input.offset;
      const maxPayload = input.u16('maxPayload');
      if (maxPayload < MIN_MAX_PAYLOAD) throw input.error(`maxPayload ${maxPayload} is below ${MIN_MAX_PAYLOAD}`, at);
      const windowAt = input.offset;
      const window = input.u8('window');
      if (window < 1) throw input.error('window 0', windowAt);
      return { type, maxPayload, window, identity: readIdentity(input) };
    }
    case 'infoOk':
      return { type, identity: readIdentity(input) };
    case 'readOk': {
      const snapshot = input.u32('snapshot');
      const total = input.u32('total');
      const offset = input.u32('offset');
      const at = input.offset;
      const bytes = input.rest();
      if (offset + bytes.length > total) throw input.error(`${bytes.length} bytes at offset ${offset} run past total ${total}`, at);
      return { type, snapshot, total, offset, bytes };
    }
    case 'putChunkOk':
      return { type, offset: input.u32('offset') };
    case 'putEndOk':
      return {
        type,
        candidateId: input.bytes(ID_BYTES, 'candidateId'),
        committed: input.bool('committed'),
        previousId: input.bytes(ID_BYTES, 'previousId'),
      };
    case 'commitOk':
      return { type, configId: input.bytes(ID_BYTES, 'configId'), previousId: input.bytes(ID_BYTES, 'previousId') };
    case 'confirmOk':
    case 'rollbackOk':
      return { type, configId: input.bytes(ID_BYTES, 'configId') };
    case 'error':
      return { type, code: input.code(ErrorCode, 'error'), message: input.str8('message') };
    case 'groupActionOk':
      return { type, group: readMembership(input) };
    case 'putBeginOk':
      return { type };
  }
}
