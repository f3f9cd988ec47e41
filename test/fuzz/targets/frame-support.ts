/** What every frame-decoder target checks after feeding a stream, whatever the stream was. */

import { FrameDecoder, encodeFrame, frameWireSize, FRAME_DELIMITER_BYTES } from '../../../src/protocol/serial/frame.js';
import type { Frame } from '../../../src/protocol/serial/messages.js';
import { ensure, hex } from '../target.js';

/** Splits `bytes` at the given cut points (taken modulo the length). */
export function chop(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

/**
 * Feeds `stream` in `pieces` to a fresh decoder and checks the decoder's promises
 * (docs/protocol.md, "Frames"): it never throws on input; every non-empty segment closed by a
 * delimiter is counted exactly once (delivered or dropped for one reason), an unterminated tail
 * only if it already overflowed; and every delivered frame re-encodes to one of the input's
 * closed segments, byte for byte.
 */
export function decodeAndCheck(stream: Uint8Array, cuts: readonly number[], maxPayload: number): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder({ maxPayload, onFrame: (f) => frames.push(f), onReject: () => {} });
  for (const piece of chop(stream, cuts)) decoder.push(piece);

  const capacity = frameWireSize(maxPayload) - FRAME_DELIMITER_BYTES;
  const closed = new Set<string>();
  let closedCount = 0;
  let start = 0;
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] !== 0) continue;
    if (i > start) {
      closedCount++;
      closed.add(hex(stream.subarray(start, i + 1)));
    }
    start = i + 1;
  }
  const tailOverflowed = stream.length - start > capacity ? 1 : 0;
  const s = decoder.stats;
  const counted = s.frames + s.crcErrors + s.malformed + s.oversize + s.unsupportedVersion;
  ensure(
    counted === closedCount + tailOverflowed,
    () => `stats ${JSON.stringify(s)} count ${counted} segments, the stream closes ${closedCount} (+${tailOverflowed} overflowed tail)`,
  );
  ensure(s.frames === frames.length, () => `stats.frames ${s.frames} but ${frames.length} delivered`);
  for (const frame of frames) {
    const wire = hex(encodeFrame({ seq: frame.seq, message: frame.message }));
    ensure(
      closed.has(wire),
      () => `delivered frame ${frame.message.type} seq ${frame.seq} re-encodes to ${wire.slice(0, 80)}…, which is no segment of the input`,
    );
  }
  return frames;
}
