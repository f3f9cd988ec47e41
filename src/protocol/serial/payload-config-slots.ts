/**
 * Config-slot messages and the history list they read. Layouts:
 *
 *   readSlot      0x20  u8 slot  u8 index  u32 offset  u16 maxBytes (≥ 1)      answered with readOk
 *   commitNote    0x21  str8 by  str8 comment                                  commitNoteOk 0xa1 (empty)
 *
 *   slot  := 1 startup (index 0), 2 candidate (index 0), 3 rollback (index 1..255), 4 history (index 0)
 *
 * Reading slot 4 gives the history list, most recent first (rollback 1 first):
 *
 *   history := u8 count  count × entry
 *   entry   := 32 configId  u64 at (epoch ms; 0: not known)  str8 by  str8 comment
 *
 * Appliances older than these messages answer them with `error unsupported` (an unknown type).
 * Invariant: decoding is strict (exact length, known codes) and re-encodes to the same bytes.
 */

import { ConfigSlot, type Request, type Response } from './messages.js';
import { BytesError, ByteReader, ByteWriter } from '../bytes/index.js';

/** Bytes that are not a history list. `offset` is relative to the list's first byte. */
export class HistoryListError extends BytesError {
  override readonly name = 'HistoryListError';

  constructor(message: string, offset: number) {
    super(`history list: ${message}`, offset, 'byte');
  }
}

export type ConfigSlotRequest = Extract<Request, { type: 'readSlot' | 'commitNote' }>;
export type ConfigSlotResponse = Extract<Response, { type: 'commitNoteOk' }>;

export const CONFIG_SLOT_REQUEST_TYPES: readonly ConfigSlotRequest['type'][] = ['readSlot', 'commitNote'];
export const CONFIG_SLOT_RESPONSE_TYPES: readonly ConfigSlotResponse['type'][] = ['commitNoteOk'];

/** One rollback slot as the appliance describes it. */
export interface HistoryEntry {
  /** 32 raw bytes of SHA-256. */
  configId: Uint8Array;
  /** When it was committed (epoch ms by the appliance's clock); 0 when not known (committed before notes were kept). */
  at: number;
  /** Who committed it ('' when not known): the agent's user@host, or an API token's name. */
  by: string;
  /** The comment given with the push ('' for none). */
  comment: string;
}

const HISTORY_ID_BYTES = 32;

function checkIndex(slot: ConfigSlotRequest & { type: 'readSlot' }): void {
  if (slot.slot === 'rollback' ? slot.index < 1 || slot.index > 255 : slot.index !== 0)
    throw new RangeError(`readSlot: index ${slot.index} does not go with slot ${slot.slot}`);
}

export function encodeConfigSlotRequest(request: ConfigSlotRequest, out: ByteWriter): void {
  if (request.type === 'commitNote') {
    out.str8(request.by, 'commitNote by');
    out.str8(request.comment, 'commitNote comment');
    return;
  }
  checkIndex(request);
  if (request.maxBytes < 1) throw new RangeError('readSlot: maxBytes must be at least 1');
  out.u8(ConfigSlot[request.slot], 'readSlot slot');
  out.u8(request.index, 'readSlot index');
  out.u32(request.offset, 'readSlot offset');
  out.u16(request.maxBytes, 'readSlot maxBytes');
}

export function decodeConfigSlotRequest(type: ConfigSlotRequest['type'], input: ByteReader): ConfigSlotRequest {
  if (type === 'commitNote') return { type, by: input.str8('by'), comment: input.str8('comment') };
  const slot = input.code(ConfigSlot, 'config slot');
  const indexAt = input.offset;
  const index = input.u8('index');
  if (slot === 'rollback' ? index < 1 : index !== 0) throw input.error(`index ${index} does not go with slot ${slot}`, indexAt);
  const offset = input.u32('offset');
  const at = input.offset;
  const maxBytes = input.u16('maxBytes');
  if (maxBytes < 1) throw input.error('maxBytes 0', at);
  return { type, slot, index, offset, maxBytes };
}

/** commitNoteOk carries nothing. */
export function encodeConfigSlotResponse(_response: ConfigSlotResponse, _out: ByteWriter): void {}

export function decodeConfigSlotResponse(type: ConfigSlotResponse['type'], _input: ByteReader): ConfigSlotResponse {
  return { type };
}

export function encodeHistoryList(entries: readonly HistoryEntry[]): Uint8Array {
  if (entries.length > 255) throw new RangeError(`history list: ${entries.length} entries do not fit`);
  const out = new ByteWriter(64 + entries.length * 64);
  out.u8(entries.length, 'history count');
  for (const e of entries) {
    out.fixed(e.configId, HISTORY_ID_BYTES, 'history configId');
    out.u64(e.at, 'history at');
    out.str8(e.by, 'history by');
    out.str8(e.comment, 'history comment');
  }
  return out.finish();
}

/** Throws HistoryListError (with the offset) on anything that is not exactly a history list. */
export function decodeHistoryList(bytes: Uint8Array): HistoryEntry[] {
  const input = new ByteReader(bytes, (message, offset) => new HistoryListError(message, offset));
  const count = input.u8('history count');
  const entries: HistoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({
      configId: input.bytes(HISTORY_ID_BYTES, 'history configId'),
      at: input.u64('history at'),
      by: input.str8('history by'),
      comment: input.str8('history comment'),
    });
  }
  input.end();
  return entries;
}
