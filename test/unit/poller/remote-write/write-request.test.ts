/** The WriteRequest encoder against an independent decoder: anything encoded decodes to what was given, byte sizes included. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeWriteRequest, WriteRequestError, writeRequestSize, type TimeSeries } from '../../../../src/poller/remote-write/write-request.js';
import { decodeWriteRequest } from './decode.js';

const label = fc.record({ name: fc.string({ unit: 'grapheme', maxLength: 20 }), value: fc.string({ unit: 'grapheme', maxLength: 200 }) });
const sample = fc.record({
  value: fc.double(),
  timestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.maxSafeNat(), fc.integer({ min: 1.6e12, max: 2e12 })),
});
const series = fc.record({ labels: fc.array(label, { maxLength: 8 }), samples: fc.array(sample, { maxLength: 20 }) });

/** Equal with NaN equal to NaN and -0 distinct from 0, as the bits on the wire are. */
function same(a: TimeSeries[], b: TimeSeries[]): void {
  expect(b.length).toBe(a.length);
  a.forEach((ts, i) => {
    expect(b[i]!.labels).toEqual(ts.labels);
    expect(b[i]!.samples.length).toBe(ts.samples.length);
    ts.samples.forEach((s, j) => {
      expect(Object.is(b[i]!.samples[j]!.value, s.value), `${b[i]!.samples[j]!.value} vs ${s.value}`).toBe(true);
      expect(b[i]!.samples[j]!.timestamp).toBe(s.timestamp);
    });
  });
}

describe('WriteRequest encoding', () => {
  it('decodes to what was encoded, for any labels, values and timestamps', () => {
    fc.assert(
      fc.property(fc.array(series, { maxLength: 10 }), (input) => {
        const bytes = encodeWriteRequest(input);
        expect(bytes.length).toBe(writeRequestSize(input));
        same(input, decodeWriteRequest(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('lays out a small request byte for byte as protobuf does', () => {
    const bytes = encodeWriteRequest([{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestamp: 300 }] }]);
    // timeseries(1, LEN 22) { labels(1, LEN 6) { name "a", value "b" }, samples(2, LEN 12) { value fixed64 1.0, timestamp varint 300 } }
    expect([...bytes]).toEqual([0x0a, 22, 0x0a, 6, 0x0a, 1, 0x61, 0x12, 1, 0x62, 0x12, 12, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xac, 0x02]);
  });

  it('writes a millisecond timestamp past 2^32 in full', () => {
    const ts = 1_750_000_000_123;
    const [decoded] = decodeWriteRequest(encodeWriteRequest([{ labels: [], samples: [{ value: 0, timestamp: ts }] }]));
    expect(decoded!.samples[0]!.timestamp).toBe(ts);
  });

  it('refuses a timestamp it cannot write as a non-negative int64', () => {
    for (const timestamp of [-1, 1.5, 2 ** 53, Number.NaN])
      expect(() => encodeWriteRequest([{ labels: [], samples: [{ value: 1, timestamp }] }])).toThrow(WriteRequestError);
  });
});
