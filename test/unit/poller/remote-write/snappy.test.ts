/** snappyjs' output is the snappy block format (decoded here by an independent decoder), and round-trips. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snappyBlock, unsnappyBlock } from '../../../../src/poller/remote-write/snappy.js';
import { encodeWriteRequest } from '../../../../src/poller/remote-write/write-request.js';
import { decodeSnappyBlock } from './decode.js';

describe('snappy block compression', () => {
  it('is the block format, for any bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 400 }).map(repeatAll)),
        (input) => {
          const packed = snappyBlock(input);
          expect([...decodeSnappyBlock(packed)]).toEqual([...input]);
          expect([...unsnappyBlock(packed)]).toEqual([...input]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('starts with the length and no stream identifier, and shrinks a repetitive request', () => {
    const body = encodeWriteRequest(
      Array.from({ length: 200 }, (_, i) => ({
        labels: [
          { name: '__name__', value: 'fulcrum_service_conns_total' },
          { name: 'appliance', value: `edge-${i % 7}` },
        ],
        samples: [{ value: i, timestamp: 1_750_000_000_000 + i }],
      })),
    );
    const packed = snappyBlock(body);
    // The framed format would start with the stream identifier chunk 0xff 06 00 00 "sNaPpY".
    expect(packed[0]).not.toBe(0xff);
    expect(packed.length).toBeLessThan(body.length / 3);
    expect([...decodeSnappyBlock(packed)]).toEqual([...body]);
  });
});

/** Chunks, each repeated a few times: input with matches for the compressor to find. */
function repeatAll(chunks: Uint8Array[]): Uint8Array {
  const parts = chunks.flatMap((c, i) => Array.from({ length: 1 + (i % 4) }, () => c));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
