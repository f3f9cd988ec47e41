import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computePatch } from '../../../../src/protocol/rules/patch.js';
import { encodeFrame, frameWireSize } from '../../../../src/protocol/serial/frame.js';
import type { Message } from '../../../../src/protocol/serial/messages.js';
import { encodePayload } from '../../../../src/protocol/serial/payload.js';
import { bigTable, encode, withWeight } from './big-table.js';
import { IDENTITY, id } from './messages.js';

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

/** The frames of a delta push as the agent sends them (docs/protocol.md, "Line budget of a delta push"). */
function deltaPush(base: Uint8Array, next: Uint8Array): { name: string; message: Message }[] {
  const patch = computePatch(base, next);
  return [
    { name: 'hello', message: { type: 'hello', maxPayload: 4096, window: 32, sessionId: 0x5eed1e55 } },
    {
      name: 'putBegin',
      message: {
        type: 'putBegin',
        mode: 'patch',
        size: patch.length,
        baseIdPrefix: sha256(base).subarray(0, 8),
        resultIdPrefix: sha256(next).subarray(0, 8),
        commitAfter: true,
        confirmTimeoutMs: 600_000,
      },
    },
    { name: 'putChunk', message: { type: 'putChunk', offset: 0, bytes: patch } },
    { name: 'putEnd', message: { type: 'putEnd' } },
  ];
}

describe('line budget of a delta push', () => {
  const base = encode(bigTable());
  const next = encode(withWeight(bigTable(), 123, 2, 300));

  it('changes one weight of a 200-service table in 103 bytes on the line, handshake included', () => {
    const frames = deltaPush(base, next);
    const payloads = frames.map((f) => encodePayload(f.message).length);
    const wires = frames.map((f, i) => encodeFrame({ seq: i, message: f.message }).length);
    // Weight 12 → 300 changes two bytes; the patch is 18 bytes (format 1, two 3-byte lengths,
    // copy 3+1, insert 1+2, copy 3+1 — see patch.ts).
    // hello 7 + putBegin 26 + putChunk (4 + 18) + putEnd 0 payload bytes,
    // each framed with 12 (6 header, 4 CRC, 1 COBS code byte, 1 delimiter).
    expect(computePatch(base, next).length).toBe(18);
    expect(payloads).toEqual([7, 26, 22, 0]);
    expect(wires).toEqual([19, 38, 34, 12]);
    expect(wires.reduce((a, b) => a + b)).toBe(103);
    for (const [i, p] of payloads.entries()) expect(wires[i]).toBe(frameWireSize(p));
  });

  it('stays within 128 bytes for any patch up to 43 bytes (85 bytes + the patch)', () => {
    for (let size = 0; size <= 43; size++) {
      const total = [7, 26, 4 + size, 0].map(frameWireSize).reduce((a, b) => a + b);
      expect(total, `patch of ${size} bytes`).toBe(85 + size);
    }
  });

  it('gets four short answers back', () => {
    const answers: Message[] = [
      { type: 'helloOk', maxPayload: 4096, window: 32, identity: IDENTITY },
      { type: 'putBeginOk' },
      { type: 'putChunkOk', offset: 0 },
      { type: 'putEndOk', candidateId: id(1), committed: true, previousId: id(2) },
    ];
    // helloOk: 3 + identity (32 + 4 + 4 + 9 "FLC-2000" + 11 "SIM-000042" + 10 "1.4.0+sim") = 73 payload bytes.
    expect(answers.map((m) => encodeFrame({ seq: 0, message: m }).length)).toEqual([85, 12, 16, 77]);
  });
});
