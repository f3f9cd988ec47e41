/**
 * Request payloads (agent → appliance). Layouts, one per type code:
 *
 *   hello     0x01  u16 maxPayload (≥ MIN_MAX_PAYLOAD)  u8 window (≥ 1)  u32 sessionId        7 bytes
 *   info      0x02  (empty)
 *   read      0x03  u8 object  u32 offset  u16 maxBytes (≥ 1)                                   7 bytes
 *   putBegin  0x04  u8 mode  u8 commitAfter  u32 size  8 baseIdPrefix  8 resultIdPrefix
 *                   u32 confirmTimeoutMs                                                        26 bytes
 *   putChunk  0x05  u32 offset  data (to the end of the payload)                           4 + n bytes
 *   putEnd    0x06  (empty)
 *   commit    0x07  u32 confirmTimeoutMs                                                        4 bytes
 *   confirm   0x08  (empty)
 *   rollback  0x09  u8 steps (≥ 1)                                                              1 byte
 *   groupAction 0x12  u8 action (1 standby, 2 offline, 3 online)                                1 byte
 *
 * hello and putBegin are fixed-size and small on purpose: a delta push of a small patch
 * (hello, putBegin, one putChunk, putEnd with commitAfter) stays near 100 bytes on the line.
 */

import { PutMode, ReadObject, type GroupAction, type MessageTypeName, type Request as AnyRequest } from './messages.js';

/** The requests of this file; firmware requests are in payload-firmware.ts, config-slot ones in payload-config-slots.ts. */
type Request = Exclude<AnyRequest, { type: `fw${string}` | 'reboot' | 'readSlot' | 'commitNote' }>;
import { MIN_MAX_PAYLOAD } from './session.js';
import type { ByteReader, ByteWriter } from '../bytes/index.js';

export const ID_PREFIX_BYTES = 8;

/** Wire codes of a groupAction's action. */
export const GROUP_ACTION_CODE: Readonly<Record<GroupAction, number>> = { standby: 1, offline: 2, online: 3 };
/** Bytes of a put-chunk payload before its data: a chunk carries at most maxPayload − this. */
export const PUT_CHUNK_HEADER_BYTES = 4;

const REQUEST_TYPES: ReadonlySet<string> = new Set<Request['type']>([
  'hello',
  'info',
  'read',
  'putBegin',
  'putChunk',
  'putEnd',
  'commit',
  'confirm',
  'rollback',
  'groupAction',
]);

export function isRequestType(name: MessageTypeName): name is Request['type'] {
  return REQUEST_TYPES.has(name);
}

export function encodeRequest(request: Request, out: ByteWriter): void {
  switch (request.type) {
    case 'hello':
      if (request.maxPayload < MIN_MAX_PAYLOAD) throw new RangeError(`hello: maxPayload ${request.maxPayload} is below ${MIN_MAX_PAYLOAD}`);
      if (request.window < 1) throw new RangeError('hello: window must be at least 1');
      out.u16(request.maxPayload, 'hello maxPayload');
      out.u8(request.window, 'hello window');
      out.u32(request.sessionId, 'hello sessionId');
      return;
    case 'read':
      if (request.maxBytes < 1) throw new RangeError('read: maxBytes must be at least 1');
      out.u8(ReadObject[request.object], 'read object');
      out.u32(request.offset, 'read offset');
      out.u16(request.maxBytes, 'read maxBytes');
      return;
    case 'putBegin':
      out.u8(PutMode[request.mode], 'putBegin mode');
      out.bool(request.commitAfter);
      out.u32(request.size, 'putBegin size');
      out.fixed(request.baseIdPrefix, ID_PREFIX_BYTES, 'putBegin baseIdPrefix');
      out.fixed(request.resultIdPrefix, ID_PREFIX_BYTES, 'putBegin resultIdPrefix');
      out.u32(request.confirmTimeoutMs, 'putBegin confirmTimeoutMs');
      return;
    case 'putChunk':
      out.u32(request.offset, 'putChunk offset');
      out.bytes(request.bytes);
      return;
    case 'commit':
      out.u32(request.confirmTimeoutMs, 'commit confirmTimeoutMs');
      return;
    case 'rollback':
      if (request.steps < 1) throw new RangeError('rollback: steps must be at least 1');
      out.u8(request.steps, 'rollback steps');
      return;
    case 'groupAction':
      out.u8(GROUP_ACTION_CODE[request.action], 'groupAction action');
      return;
    case 'info':
    case 'putEnd':
    case 'confirm':
      return;
  }
}

export function decodeRequest(type: Request['type'], input: ByteReader): Request {
  switch (type) {
    case 'hello': {
      const at = input.offset;
      const maxPayload = input.u16('maxPayload');
      if (maxPayload < MIN_MAX_PAYLOAD) throw input.error(`maxPayload ${maxPayload} is below ${MIN_MAX_PAYLOAD}`, at);
      const windowAt = input.offset;
      const window = input.u8('window');
      if (window < 1) throw input.error('window 0', windowAt);
      return { type, maxPayload, window, sessionId: input.u32('sessionId') };
    }
    case 'read': {
      const object = input.code(ReadObject, 'read object');
      const offset = input.u32('offset');
      const at = input.offset;
      const maxBytes = input.u16('maxBytes');
      if (maxBytes < 1) throw input.error('maxBytes 0', at);
      return { type, object, offset, maxBytes };
    }
    case 'putBegin':
      return {
        type,
        mode: input.code(PutMode, 'put mode'),
        commitAfter: input.bool('commitAfter'),
        size: input.u32('size'),
        baseIdPrefix: input.bytes(ID_PREFIX_BYTES, 'baseIdPrefix'),
        resultIdPrefix: input.bytes(ID_PREFIX_BYTES, 'resultIdPrefix'),
        confirmTimeoutMs: input.u32('confirmTimeoutMs'),
      };
    case 'putChunk':
      return { type, offset: input.u32('offset'), bytes: input.rest() };
    case 'commit':
      return { type, confirmTimeoutMs: input.u32('confirmTimeoutMs') };
    case 'rollback': {
      const at = input.offset;
      const steps = input.u8('steps');
      if (steps < 1) throw input.error('steps 0', at);
      return { type, steps };
    }
    case 'groupAction':
      return { type, action: input.code(GROUP_ACTION_CODE, 'group action') };
    case 'info':
    case 'putEnd':
    case 'confirm':
      return { type };
  }
}
