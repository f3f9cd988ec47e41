/** The serial management channel: messages, their payloads, frames, and the session constants. */

export * from './messages.js';
export { CobsError, cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';
export {
  FRAME_CRC_BYTES,
  FRAME_DELIMITER_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD,
  FrameDecoder,
  MAX_FRAME_PAYLOAD,
  encodeFrame,
  frameWireSize,
  type FrameDecoderOptions,
  type FrameStats,
  type RejectedFrame,
} from './frame.js';
export {
  ERROR_MESSAGE_MAX_BYTES,
  EVENT_KIND,
  ID_BYTES,
  ID_PREFIX_BYTES,
  PUT_CHUNK_HEADER_BYTES,
  PayloadError,
  READ_OK_HEADER_BYTES,
  ROLLBACK_REASON,
  decodePayload,
  encodePayload,
  messageTypeCode,
  messageTypeName,
} from './payload.js';
export { APPLIANCE_LIMITS, MIN_MAX_PAYLOAD, RESPONSE_CACHE_SIZE, negotiate, nextSeq, seqDistance, type LinkParameters } from './session.js';
export { decodeHistoryList, encodeHistoryList, HistoryListError, type HistoryEntry } from './payload-config-slots.js';
