/**
 * The frame layer of the serial channel.
 *
 *   body := u8 version (PROTOCOL_VERSION)  u8 type (MessageType)  u16 seq  u16 payload length
 *           payload  u32 CRC-32 (zlib/IEEE, over every byte before it)        -- big-endian
 *   wire := COBS(body)  0x00
 *
 * Why this shape: COBS makes 0x00 a delimiter that never occurs inside a frame, so a receiver
 * finds the next frame after any garbage; the CRC-32 catches line noise (every 1–3 bit error and
 * every burst up to 32 bits in bodies up to 11 KB), so a damaged frame is dropped, never half
 * applied; the explicit length is a second, independent check on the COBS layer; the version
 * byte lets a future format be refused by name instead of misread.
 *
 * The decoder never throws on input: every bad frame is counted in `stats` and dropped.
 */

import { crc32 } from '../digest.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';
import { PROTOCOL_VERSION, type Frame, type Message } from './messages.js';
import { decodePayload, encodePayload, messageTypeCode, messageTypeName } from './payload.js';
import { APPLIANCE_LIMITS } from './session.js';
import { describeError } from '../describe-error.js';

export const FRAME_HEADER_BYTES = 6;
export const FRAME_CRC_BYTES = 4;
export const FRAME_DELIMITER_BYTES = 1;

/**
 * Bytes a frame adds to its payload. `fixed` is what every frame pays (header + CRC + delimiter);
 * COBS adds one more byte per started 254 bytes of body (header + payload + CRC), so a frame
 * with a payload of n bytes is at most n + 11 + ⌈(n + 10) / 254⌉ bytes on the wire.
 */
export const FRAME_OVERHEAD = {
  header: FRAME_HEADER_BYTES,
  crc: FRAME_CRC_BYTES,
  delimiter: FRAME_DELIMITER_BYTES,
  fixed: FRAME_HEADER_BYTES + FRAME_CRC_BYTES + FRAME_DELIMITER_BYTES,
  cobsPerBlock: 254,
} as const;

/** The largest payload the length field can describe. */
export const MAX_FRAME_PAYLOAD = 0xffff;

/** The most wire bytes a frame with `payloadLength` payload bytes can take (exact unless COBS finds zeros to spare). */
export function frameWireSize(payloadLength: number): number {
  return cobsMaxEncodedLength(FRAME_HEADER_BYTES + payloadLength + FRAME_CRC_BYTES) + FRAME_DELIMITER_BYTES;
}

/** The wire bytes of one frame, delimiter included. RangeError on a bad sequence number or field. */
export function encodeFrame(frame: { seq: number; message: Message }): Uint8Array {
  const { seq, message } = frame;
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw new RangeError(`frame seq ${seq} is not a u16`);
  const payload = encodePayload(message);
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`${message.type} payload of ${payload.length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  const body = new Uint8Array(FRAME_HEADER_BYTES + payload.length + FRAME_CRC_BYTES);
  const view = new DataView(body.buffer);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, messageTypeCode(message));
  view.setUint16(2, seq);
  view.setUint16(4, payload.length);
  body.set(payload, FRAME_HEADER_BYTES);
  const crcAt = FRAME_HEADER_BYTES + payload.length;
  view.setUint32(crcAt, crc32(body.subarray(0, crcAt)));
  const encoded = cobsEncode(body);
  const wire = new Uint8Array(encoded.length + FRAME_DELIMITER_BYTES);
  wire.set(encoded);
  return wire;
}

export interface FrameStats {
  /** Good frames delivered to onFrame. */
  frames: number;
  /** Frames whose CRC did not match (line noise, or garbage that happened to be valid COBS). */
  crcErrors: number;
  /** Segments that are not COBS, too short, or frames with a good CRC but a wrong length, unknown type or bad payload. */
  malformed: number;
  /** Segments or payloads longer than maxPayload allows: dropped without being buffered. */
  oversize: number;
  /** Frames with a good CRC and a version other than PROTOCOL_VERSION. */
  unsupportedVersion: number;
}

/**
 * A frame whose CRC is good (so its header can be trusted) but which cannot be delivered. The
 * appliance answers it with an `error` of the same sequence number (`unsupported` or
 * `badRequest`) instead of letting the agent wait for a timeout; it never acts on it.
 */
export interface RejectedFrame {
  reason: 'unsupportedVersion' | 'malformed';
  version: number;
  /** The type byte as received. */
  type: number;
  seq: number;
  /** The type byte names no message (reply `unsupported` rather than `badRequest`). */
  unknownType: boolean;
  detail: string;
}

export interface FrameDecoderOptions {
  onFrame(frame: Frame): void;
  /** Largest payload accepted; longer frames are counted as oversize and dropped. Default 4096. */
  maxPayload?: number;
  onReject?(rejected: RejectedFrame): void;
}

/** Splits a byte stream into frames. Feed it whatever the line delivers, in any pieces. */
export class FrameDecoder {
  readonly stats: FrameStats = { frames: 0, crcErrors: 0, malformed: 0, oversize: 0, unsupportedVersion: 0 };
  readonly maxPayload: number;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onReject: ((rejected: RejectedFrame) => void) | undefined;
  /** The segment received so far (COBS bytes since the last 0x00); never more than its capacity. */
  private readonly segment: Uint8Array;
  private length = 0;
  /** Inside an oversize segment: skip everything up to the next 0x00. */
  private discarding = false;

  constructor(options: FrameDecoderOptions) {
    const maxPayload = options.maxPayload ?? APPLIANCE_LIMITS.maxPayload;
    if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > MAX_FRAME_PAYLOAD) {
      throw new RangeError(`maxPayload ${maxPayload} is not in 0..${MAX_FRAME_PAYLOAD}`);
    }
    this.maxPayload = maxPayload;
    this.onFrame = options.onFrame;
    this.onReject = options.onReject;
    this.segment = new Uint8Array(frameWireSize(maxPayload) - FRAME_DELIMITER_BYTES);
  }

  /**
   * Consumes `bytes`, calling onFrame for each good frame completed by them. If a callback
   * throws, the rest of `bytes` is still decoded and the first error is rethrown at the end,
   * so a faulty listener cannot desynchronise the decoder.
   */
  push(bytes: Uint8Array): void {
    let failure: { error: unknown } | null = null;
    let i = 0;
    while (i < bytes.length) {
      const zero = bytes.indexOf(0, i);
      const end = zero < 0 ? bytes.length : zero;
      if (!this.discarding && end > i) {
        if (this.length + (end - i) > this.segment.length) {
          this.stats.oversize++;
          this.discarding = true;
          this.length = 0;
        } else {
          this.segment.set(bytes.subarray(i, end), this.length);
          this.length += end - i;
        }
      }
      if (zero < 0) break;
      i = zero + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      // An empty segment (0x00 0x00) is not an error: a sender may write a lone 0x00 to flush
      // whatever noise preceded it before a frame.
      if (this.length === 0) continue;
      const segment = this.segment.subarray(0, this.length);
      this.length = 0;
      try {
        this.segmentDone(segment);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Forgets a partly received frame (e.g. after the link was reopened). */
  reset(): void {
    this.length = 0;
    this.discarding = false;
  }

  /** Decodes one delimited segment; only the listeners' own exceptions escape. */
  private segmentDone(segment: Uint8Array): void {
    let body: Uint8Array;
    try {
      body = cobsDecode(segment);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (body.length < FRAME_HEADER_BYTES + FRAME_CRC_BYTES) {
      this.stats.malformed++;
      return;
    }
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const crcAt = body.length - FRAME_CRC_BYTES;
    if (crc32(body.subarray(0, crcAt)) !== view.getUint32(crcAt)) {
      this.stats.crcErrors++;
      return;
    }
    // The CRC is good: from here on the header is what the sender wrote.
    const version = view.getUint8(0);
    const type = view.getUint8(1);
    const seq = view.getUint16(2);
    const declared = view.getUint16(4);
    const actual = crcAt - FRAME_HEADER_BYTES;
    const reject = (reason: RejectedFrame['reason'], detail: string) =>
      this.onReject?.({ reason, version, type, seq, unknownType: messageTypeName(type) === undefined, detail });
    if (version !== PROTOCOL_VERSION) {
      this.stats.unsupportedVersion++;
      reject('unsupportedVersion', `protocol version ${version}, expected ${PROTOCOL_VERSION}`);
      return;
    }
    if (declared !== actual) {
      this.stats.malformed++;
      reject('malformed', `length field says ${declared} payload bytes, frame holds ${actual}`);
      return;
    }
    if (actual > this.maxPayload) {
      this.stats.oversize++;
      return;
    }
    let message: Message;
    try {
      message = decodePayload(type, body.subarray(FRAME_HEADER_BYTES, crcAt));
    } catch (error) {
      this.stats.malformed++;
      reject('malformed', describeError(error));
      return;
    }
    this.stats.frames++;
    this.onFrame({ version, seq, message });
  }
}
