import { describe, expect, it } from 'vitest';
import { FrameSplitter, frameMessage } from '../../../../sim/failover/frame-splitter.js';

describe('serial failover link framing', () => {
  it('splits messages back out of any chunking, zero bytes inside included', () => {
    const got: number[][] = [];
    const s = new FrameSplitter((m) => got.push([...m]));
    const a = frameMessage(Uint8Array.of(0, 1, 0, 2));
    const b = frameMessage(Uint8Array.of(9, 9, 9));
    const stream = Uint8Array.from([...a, ...b]);
    for (const byte of stream) s.push(Uint8Array.of(byte));
    expect(got).toEqual([
      [0, 1, 0, 2],
      [9, 9, 9],
    ]);
  });

  it('drops garbage and an endless run without a delimiter, and is in step again at the next 0x00', () => {
    const got: number[][] = [];
    const s = new FrameSplitter((m) => got.push([...m]));
    s.push(new Uint8Array(5_000).fill(7));
    s.push(Uint8Array.of(0, 5, 1, 0));
    s.push(frameMessage(Uint8Array.of(4, 2)));
    expect(got).toEqual([[4, 2]]);
    expect(s.garbled).toBe(2);
  });
});
