import fc from 'fast-check';
import { decodeAndCheck } from './frame-support.js';
import { target } from '../target.js';

/** Bytes where delimiters are common (so many short segments) or rare (so long ones that overflow). */
const stream = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { maxLength: 600 }).map((a) => Uint8Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 300 }).map((a) => Uint8Array.from(a)),
);

export default target({
  name: 'frame-stream',
  what: 'FrameDecoder on arbitrary byte streams, in arbitrary pieces, at any maxPayload: never throws, counts every segment once, delivers only frames that re-encode to a segment',
  arbitrary: fc.record({
    stream,
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
    maxPayload: fc.oneof(fc.constantFrom(0, 1, 1024, 4096, 0xffff), fc.integer({ min: 0, max: 5000 })),
  }),
  check: ({ stream: bytes, cuts, maxPayload }) => void decodeAndCheck(bytes, cuts, maxPayload),
});
