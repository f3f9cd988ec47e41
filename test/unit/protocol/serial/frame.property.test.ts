import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame } from '../../../../src/protocol/serial/frame.js';
import type { Frame } from '../../../../src/protocol/serial/messages.js';
import { message } from './messages.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

const seq = fc.integer({ min: 0, max: 0xffff });
const frameWire = fc.record({ seq, message }).map((f) => encodeFrame(f));
/** Frames, garbage, lone delimiters, and frames with one bit flipped, in any order. */
const piece = fc.oneof(
  frameWire,
  fc.uint8Array({ maxLength: 80 }),
  fc.constant(Uint8Array.of(0)),
  fc.tuple(frameWire, fc.nat()).map(([wire, bit]) => {
    const damaged = wire.slice();
    const at = bit % (wire.length * 8);
    damaged[at >> 3]! ^= 1 << (at & 7);
    return damaged;
  }),
);

/** The 0x00-delimited segments of `stream`, each with its delimiter, as hex (an unterminated tail is not one). */
function segments(stream: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] === 0) {
      out.push(hex(stream.subarray(start, i + 1)));
      start = i + 1;
    }
  }
  return out;
}

/** Splits `bytes` at the given cut points. */
function chop(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
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

describe('frame decoder properties', () => {
  it('never throws on arbitrary bytes, in arbitrary pieces, at any size limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 0, max: 5000 }), (bytes, cuts, maxPayload) => {
        const decoder = new FrameDecoder({ maxPayload, onFrame: () => {} });
        for (const part of chop(bytes, cuts)) decoder.push(part);
      }),
      { numRuns: 300 },
    );
  });

  it('only delivers frames that re-encode to a whole delimited segment of the input', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (pieces, cuts) => {
        const stream = concat(...pieces);
        const frames: Frame[] = [];
        const decoder = new FrameDecoder({ onFrame: (f) => frames.push(f) });
        for (const part of chop(stream, cuts)) decoder.push(part);
        const whole = segments(stream);
        for (const frame of frames) expect(whole).toContain(hex(encodeFrame(frame)));
        // Every non-empty segment closed by a delimiter is accounted for exactly once.
        const s = decoder.stats;
        const closed = whole.filter((h) => h !== '00').length;
        expect(s.frames + s.crcErrors + s.malformed + s.oversize + s.unsupportedVersion).toBe(closed);
      }),
      { numRuns: 300 },
    );
  });

  it('delivers every frame of a clean stream, in order, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ seq, message }), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 12 }), (sent, cuts) => {
        const frames: Frame[] = [];
        const decoder = new FrameDecoder({ onFrame: (f) => frames.push(f) });
        for (const part of chop(concat(...sent.map((f) => encodeFrame(f))), cuts)) decoder.push(part);
        expect(frames.map(({ seq: s, message: m }) => ({ seq: s, message: m }))).toEqual(sent);
      }),
      { numRuns: 200 },
    );
  });
});
