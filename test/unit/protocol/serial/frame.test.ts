import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../../../../src/protocol/serial/cobs.js';
import { FRAME_OVERHEAD, FrameDecoder, encodeFrame, frameWireSize, type FrameStats, type RejectedFrame } from '../../../../src/protocol/serial/frame.js';
import { MessageType, PROTOCOL_VERSION, type Frame, type Message } from '../../../../src/protocol/serial/messages.js';
import { encodePayload } from '../../../../src/protocol/serial/payload.js';
import { ALL_TYPE_NAMES, SAMPLES } from './messages.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function collect(maxPayload?: number) {
  const frames: Frame[] = [];
  const rejected: RejectedFrame[] = [];
  const decoder = new FrameDecoder({ onFrame: (f) => frames.push(f), onReject: (r) => rejected.push(r), ...(maxPayload === undefined ? {} : { maxPayload }) });
  return { decoder, frames, rejected };
}

const errors = (s: FrameStats) => s.crcErrors + s.malformed + s.oversize + s.unsupportedVersion;

/** A frame built by hand, so tests can make ones the encoder never would (other versions, bad lengths, unknown types). */
function rawFrame(fields: { version?: number; type: number; seq: number; payload: Uint8Array; length?: number }): Uint8Array {
  const body = new Uint8Array(6 + fields.payload.length + 4);
  const view = new DataView(body.buffer);
  view.setUint8(0, fields.version ?? PROTOCOL_VERSION);
  view.setUint8(1, fields.type);
  view.setUint16(2, fields.seq);
  view.setUint16(4, fields.length ?? fields.payload.length);
  body.set(fields.payload, 6);
  view.setUint32(body.length - 4, crc32(body.subarray(0, body.length - 4)));
  return concat(cobsEncode(body), Uint8Array.of(0));
}

const WIRES = SAMPLES.map((message, i) => ({ message, seq: (i * 7919) & 0xffff, wire: encodeFrame({ seq: (i * 7919) & 0xffff, message }) }));

describe('frame encoding', () => {
  it('lays out version, type, seq, length, payload, CRC-32, COBS and the delimiter as documented', () => {
    const wire = encodeFrame({ seq: 0x1234, message: { type: 'rollback', steps: 3 } });
    // body: 01 09 1234 0001 03 + crc32 of those 7 bytes
    const head = Uint8Array.of(0x01, 0x09, 0x12, 0x34, 0x00, 0x01, 0x03);
    const crc = crc32(head).toString(16).padStart(8, '0');
    const body = concat(head, Uint8Array.from(Buffer.from(crc, 'hex')));
    expect(hex(wire)).toBe(hex(concat(cobsEncode(body), Uint8Array.of(0))));
    expect(wire.at(-1)).toBe(0);
    expect(wire.subarray(0, -1).includes(0)).toBe(false);
    expect(hex(cobsDecode(wire.subarray(0, -1)))).toBe(hex(body));
  });

  it('covers every message type in the samples', () => {
    expect(new Set(SAMPLES.map((m) => m.type))).toEqual(new Set(ALL_TYPE_NAMES));
  });

  it.each(WIRES.map((w) => [w.message.type + ('kind' in w.message ? ` ${w.message.kind}` : ''), w] as const))(
    'round-trips %s',
    (_name, { message, seq, wire }) => {
      const { decoder, frames } = collect();
      decoder.push(wire);
      expect(frames).toEqual([{ version: PROTOCOL_VERSION, seq, message }]);
      expect(decoder.stats).toEqual({ frames: 1, crcErrors: 0, malformed: 0, oversize: 0, unsupportedVersion: 0 });
      expect(wire.length).toBe(frameWireSize(encodePayload(message).length));
    },
  );

  it('states its overhead: 11 fixed bytes plus one COBS byte per 254', () => {
    expect(FRAME_OVERHEAD.fixed).toBe(FRAME_OVERHEAD.header + FRAME_OVERHEAD.crc + FRAME_OVERHEAD.delimiter);
    expect(FRAME_OVERHEAD.fixed).toBe(11);
    expect(frameWireSize(0)).toBe(12);
    expect(frameWireSize(244)).toBe(244 + 12); // body 254: one COBS byte
    expect(frameWireSize(245)).toBe(245 + 13); // body 255: two
    expect(frameWireSize(4096)).toBe(4096 + 11 + 17);
  });

  it('refuses a sequence number outside u16', () => {
    expect(() => encodeFrame({ seq: 0x10000, message: { type: 'info' } })).toThrow(RangeError);
    expect(() => encodeFrame({ seq: -1, message: { type: 'info' } })).toThrow(RangeError);
  });
});

describe('frame decoder', () => {
  const stream = concat(...WIRES.map((w) => w.wire));
  const expected = WIRES.map((w) => ({ version: PROTOCOL_VERSION, seq: w.seq, message: w.message }));

  it('decodes frames concatenated in one push', () => {
    const { decoder, frames } = collect();
    decoder.push(stream);
    expect(frames).toEqual(expected);
    expect(errors(decoder.stats)).toBe(0);
  });

  it('decodes a stream split at every byte boundary, and fed one byte at a time', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { decoder, frames } = collect();
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      expect(frames.length, `cut at ${cut}`).toBe(expected.length);
    }
    const { decoder, frames } = collect();
    for (const byte of stream) decoder.push(Uint8Array.of(byte));
    expect(frames).toEqual(expected);
    expect(errors(decoder.stats)).toBe(0);
  });

  it('resynchronises at the next 0x00 after garbage, and ignores empty segments', () => {
    const garbage = Uint8Array.from({ length: 300 }, (_, i) => ((i * 37 + 11) % 255) + 1); // no zero inside
    const { decoder, frames } = collect();
    decoder.push(concat(garbage, Uint8Array.of(0), WIRES[0]!.wire, Uint8Array.of(0, 0, 0), garbage, Uint8Array.of(0), WIRES[1]!.wire));
    expect(frames.map((f) => f.message)).toEqual([WIRES[0]!.message, WIRES[1]!.message]);
    expect(errors(decoder.stats)).toBe(2);
    // Garbage glued to the front of a frame (no delimiter between) costs that frame, not the next.
    decoder.push(concat(garbage.subarray(0, 5), WIRES[2]!.wire, WIRES[3]!.wire));
    expect(frames.map((f) => f.message)).toEqual([WIRES[0]!.message, WIRES[1]!.message, WIRES[3]!.message]);
    expect(errors(decoder.stats)).toBe(3);
  });

  it('catches every single-bit flip of every frame type: counted, never delivered', () => {
    for (const { wire, message } of WIRES) {
      for (let bit = 0; bit < wire.length * 8; bit++) {
        const damaged = wire.slice();
        damaged[bit >> 3]! ^= 1 << (bit & 7);
        const { decoder, frames } = collect();
        // A flipped delimiter leaves the frame open: the next 0x00 (here a lone flush byte) closes it.
        decoder.push(concat(damaged, Uint8Array.of(0)));
        expect(frames, `${message.type}, bit ${bit}`).toEqual([]);
        expect(errors(decoder.stats), `${message.type}, bit ${bit}`).toBeGreaterThanOrEqual(1);
        // And the line is usable again at once.
        decoder.push(WIRES[0]!.wire);
        expect(frames.length, `${message.type}, bit ${bit}: next frame`).toBe(1);
      }
    }
  });

  it('drops a truncated frame when the next delimiter arrives, and keeps the following frame', () => {
    for (const { wire } of WIRES) {
      for (let keep = 1; keep < wire.length - 1; keep++) {
        const { decoder, frames } = collect();
        decoder.push(concat(wire.subarray(0, keep), Uint8Array.of(0), WIRES[1]!.wire));
        expect(frames.map((f) => f.message)).toEqual([WIRES[1]!.message]);
        expect(errors(decoder.stats)).toBe(1);
      }
    }
  });

  it('drops oversize frames without buffering them, then decodes the next frame', () => {
    const big = encodeFrame({ seq: 1, message: { type: 'putChunk', offset: 0, bytes: new Uint8Array(5000).fill(7) } });
    const { decoder, frames } = collect(1024);
    // Feed the oversize frame in small pieces: it is counted once, as soon as it outgrows the buffer.
    for (let i = 0; i < big.length - 1; i += 100) decoder.push(big.subarray(i, Math.min(i + 100, big.length - 1)));
    expect(decoder.stats.oversize).toBe(1);
    decoder.push(concat(big.subarray(big.length - 1), WIRES[0]!.wire));
    expect(frames.map((f) => f.message)).toEqual([WIRES[0]!.message]);
    expect(decoder.stats.oversize).toBe(1);
    // Right at the limit is fine; one byte over is not, even when COBS overhead would let it fit.
    const { decoder: d2, frames: f2 } = collect(1024);
    d2.push(encodeFrame({ seq: 2, message: { type: 'putChunk', offset: 0, bytes: new Uint8Array(1020) } }));
    d2.push(encodeFrame({ seq: 3, message: { type: 'putChunk', offset: 0, bytes: new Uint8Array(1021) } }));
    expect(f2.map((f) => f.seq)).toEqual([2]);
    expect(d2.stats.oversize).toBe(1);
  });

  it('counts a good-CRC frame of another version as unsupported, and reports it with its seq', () => {
    const { decoder, frames, rejected } = collect();
    decoder.push(rawFrame({ version: 2, type: MessageType.info, seq: 77, payload: new Uint8Array(0) }));
    expect(frames).toEqual([]);
    expect(decoder.stats.unsupportedVersion).toBe(1);
    expect(rejected).toMatchObject([{ reason: 'unsupportedVersion', version: 2, seq: 77, type: MessageType.info }]);
  });

  it('counts a good-CRC frame with an unknown type, a wrong length or a bad payload as malformed', () => {
    const { decoder, frames, rejected } = collect();
    decoder.push(rawFrame({ type: 0x42, seq: 1, payload: new Uint8Array(0) }));
    decoder.push(rawFrame({ type: MessageType.info, seq: 2, payload: new Uint8Array(0), length: 1 }));
    decoder.push(rawFrame({ type: MessageType.rollback, seq: 3, payload: Uint8Array.of(0) })); // steps 0
    decoder.push(rawFrame({ type: MessageType.info, seq: 4, payload: Uint8Array.of(9) })); // trailing byte
    decoder.push(rawFrame({ type: MessageType.hello, seq: 5, payload: Uint8Array.of(0x10, 0x00, 0, 1, 2, 3, 4) })); // window 0
    expect(frames).toEqual([]);
    expect(decoder.stats.malformed).toBe(5);
    expect(rejected.map((r) => [r.seq, r.reason, r.unknownType])).toEqual([
      [1, 'malformed', true],
      [2, 'malformed', false],
      [3, 'malformed', false],
      [4, 'malformed', false],
      [5, 'malformed', false],
    ]);
  });

  it('counts a segment shorter than a header and CRC as malformed, a bad CRC as a CRC error', () => {
    const { decoder } = collect();
    decoder.push(concat(cobsEncode(Uint8Array.of(1, 2, 3)), Uint8Array.of(0)));
    const good = cobsDecode(WIRES[1]!.wire.subarray(0, -1));
    good[good.length - 1]! ^= 0xff;
    decoder.push(concat(cobsEncode(good), Uint8Array.of(0)));
    expect(decoder.stats).toMatchObject({ frames: 0, malformed: 1, crcErrors: 1 });
  });

  it('keeps decoding when a listener throws, then rethrows the first error', () => {
    let calls = 0;
    const decoder = new FrameDecoder({
      onFrame: () => {
        calls++;
        throw new Error(`listener ${calls}`);
      },
    });
    expect(() => decoder.push(concat(WIRES[0]!.wire, WIRES[1]!.wire))).toThrow('listener 1');
    expect(calls).toBe(2);
    expect(decoder.stats.frames).toBe(2);
  });

  it('reset() forgets a partial frame', () => {
    const { decoder, frames } = collect();
    decoder.push(WIRES[0]!.wire.subarray(0, 5));
    decoder.reset();
    decoder.push(WIRES[1]!.wire);
    expect(frames.map((f) => f.message)).toEqual([WIRES[1]!.message]);
    expect(errors(decoder.stats)).toBe(0);
  });

  it('round-trips the largest frame the negotiated size allows', () => {
    const message: Message = { type: 'readOk', snapshot: 1, total: 1 << 20, offset: 4084, bytes: Uint8Array.from({ length: 4084 }, (_, i) => i % 3) };
    const { decoder, frames } = collect(4096);
    decoder.push(encodeFrame({ seq: 9, message }));
    expect(frames).toEqual([{ version: PROTOCOL_VERSION, seq: 9, message }]);
  });
});
