import fc from 'fast-check';
import { encodeFrame } from '../../../src/protocol/serial/frame.js';
import { message } from '../../unit/protocol/serial/messages.js';
import { concat, mutate, mutations } from '../mutate.js';
import { ensure, hex, target } from '../target.js';
import { decodeAndCheck } from './frame-support.js';

const frame = fc.record({ seq: fc.integer({ min: 0, max: 0xffff }), message }).map((f) => encodeFrame(f));

export default target({
  name: 'frame-mutated',
  what: 'FrameDecoder on streams of valid frames damaged by bit flips, overwrites, truncations, cuts, inserts and splices: same promises as on arbitrary bytes, and every frame not touched by damage still arrives',
  arbitrary: fc.record({
    frames: fc.array(frame, { minLength: 1, maxLength: 6 }),
    garbage: fc.uint8Array({ maxLength: 40 }),
    damaged: fc.nat(),
    mutations: mutations(4),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    maxPayload: fc.constantFrom(1024, 2048, 4096, 0xffff),
  }),
  check: ({ frames, garbage, damaged, mutations: m, cuts, maxPayload }) => {
    // One frame is damaged, with garbage before it; lone delimiters fence both off, so
    // whatever the damage does (an inserted 0x00, a lost one) stays inside the fence.
    const victim = damaged % frames.length;
    const donor = frames[(victim + 1) % frames.length]!;
    const parts = frames.map((f, i) => (i === victim ? concat(garbage, Uint8Array.of(0), mutate(f, m, donor), Uint8Array.of(0)) : f));
    const delivered = new Set(decodeAndCheck(concat(...parts), cuts, maxPayload).map((f) => hex(encodeFrame(f))));
    frames.forEach((f, i) => {
      if (i !== victim) ensure(delivered.has(hex(f)), () => `frame ${i}, outside the damage, was not delivered: ${hex(f).slice(0, 80)}…`);
    });
  },
});
