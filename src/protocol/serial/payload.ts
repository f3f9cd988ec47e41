/**
 * Payload encodings of every serial message (messages.ts). The frame header carries the type
 * byte (MessageType) and the payload length, so a payload holds only the message's fields, and
 * a trailing variable-length byte field (put-chunk data, read-ok data) simply runs to the end.
 *
 * All integers are unsigned big-endian; timestamps are u64 epoch milliseconds; ids are 32 raw
 * bytes, id prefixes 8; text is u8-length-prefixed UTF-8. Every enum has an explicit wire code
 * here, never an array position. The full layout table is in docs/protocol.md.
 *
 * Decoding is strict: exact length, known codes, booleans 0 or 1, values in range. Whatever it
 * accepts re-encodes to the same bytes, so a frame has one meaning. Encoding a message the
 * decoder would refuse throws RangeError (a bug in the caller, not a wire problem).
 */

import { MessageType, type Message, type MessageTypeName } from './messages.js';
import { decodeEvent, encodeEvent } from './payload-events.js';
import { decodeRequest, encodeRequest, isRequestType } from './payload-requests.js';
import { decodeResponse, encodeResponse } from './payload-responses.js';
import {
  FIRMWARE_REQUEST_TYPES,
  FIRMWARE_RESPONSE_TYPES,
  decodeFirmwareRequest,
  decodeFirmwareResponse,
  encodeFirmwareRequest,
  encodeFirmwareResponse,
  type FirmwareRequest,
  type FirmwareResponse,
} from './payload-firmware.js';
import {
  CONFIG_SLOT_REQUEST_TYPES,
  CONFIG_SLOT_RESPONSE_TYPES,
  decodeConfigSlotRequest,
  decodeConfigSlotResponse,
  encodeConfigSlotRequest,
  encodeConfigSlotResponse,
  type ConfigSlotRequest,
  type ConfigSlotResponse,
} from './payload-config-slots.js';
import { BytesError, ByteReader, ByteWriter } from '../bytes/index.js';

export { EVENT_KIND, ROLLBACK_REASON } from './payload-events.js';
export { ID_PREFIX_BYTES, PUT_CHUNK_HEADER_BYTES } from './payload-requests.js';
export { ERROR_MESSAGE_MAX_BYTES, ID_BYTES, READ_OK_HEADER_BYTES } from './payload-responses.js';
export { FW_CHUNK_HEADER_BYTES, SHA256_BYTES } from './payload-firmware.js';

const FIRMWARE_TYPES: ReadonlySet<string> = new Set<string>([...FIRMWARE_REQUEST_TYPES, ...FIRMWARE_RESPONSE_TYPES]);
const isSlotRequest = (name: string): name is ConfigSlotRequest['type'] => (CONFIG_SLOT_REQUEST_TYPES as readonly string[]).includes(name);
const isSlotResponse = (name: string): name is ConfigSlotResponse['type'] => (CONFIG_SLOT_RESPONSE_TYPES as readonly string[]).includes(name);
const isFirmwareRequest = (name: string): name is FirmwareRequest['type'] => (FIRMWARE_REQUEST_TYPES as readonly string[]).includes(name);

/** A payload that is not a valid encoding of its message type. `offset` is relative to the payload's first byte. */
export class PayloadError extends BytesError {
  override readonly name = 'PayloadError';

  constructor(message: string, offset: number) {
    super(message, offset, 'payload byte');
  }
}

const TYPE_NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([name, code]) => [code, name as MessageTypeName]));

/** The type byte of a message. */
export function messageTypeCode(message: Message): number {
  return MessageType[message.type];
}

/** The name of a type byte, or undefined if no message has it. */
export function messageTypeName(code: number): MessageTypeName | undefined {
  return TYPE_NAMES.get(code);
}

/** The payload bytes of `message` (its type byte goes in the frame header). RangeError if a field is out of range. */
export function encodePayload(message: Message): Uint8Array {
  const out = new ByteWriter(64);
  if (message.type === 'event') encodeEvent(message, out);
  else if (isSlotRequest(message.type)) encodeConfigSlotRequest(message as ConfigSlotRequest, out);
  else if (isSlotResponse(message.type)) encodeConfigSlotResponse(message as ConfigSlotResponse, out);
  else if (isFirmwareRequest(message.type)) encodeFirmwareRequest(message as FirmwareRequest, out);
  else if (FIRMWARE_TYPES.has(message.type)) encodeFirmwareResponse(message as FirmwareResponse, out);
  else if (isRequestType(message.type)) encodeRequest(message as Parameters<typeof encodeRequest>[0], out);
  else encodeResponse(message as Parameters<typeof encodeResponse>[0], out);
  return out.finish();
}

/** The message a frame of type `type` carries in `payload`; throws PayloadError. */
export function decodePayload(type: number, payload: Uint8Array): Message {
  const name = TYPE_NAMES.get(type);
  if (name === undefined) throw new PayloadError(`unknown message type 0x${type.toString(16).padStart(2, '0')}`, 0);
  const input = new ByteReader(payload, (message, offset) => new PayloadError(`${name}: ${message}`, offset));
  let message: Message;
  if (name === 'event') message = decodeEvent(input);
  else if (isSlotRequest(name)) message = decodeConfigSlotRequest(name, input);
  else if (isSlotResponse(name)) message = decodeConfigSlotResponse(name, input);
  else if (isFirmwareRequest(name)) message = decodeFirmwareRequest(name, input);
  else if (FIRMWARE_TYPES.has(name)) message = decodeFirmwareResponse(name as FirmwareResponse['type'], input);
  else if (isRequestType(name)) message = decodeRequest(name, input);
  else message = decodeResponse(name as Parameters<typeof decodeResponse>[0], input);
  input.end();
  return message;
}
