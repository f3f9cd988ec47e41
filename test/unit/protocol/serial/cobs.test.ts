import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CobsError, cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../../../src/protocol/serial/cobs.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function decodeError(encoded: Uint8Array): CobsError {
  try {
    cobsDecode(encoded);
  } catch (error) {
    expect(error).toBeInstanceOf(CobsError);
    return error as CobsError;
  }
  throw new Error(`expected CobsError for ${hex(encoded)}`);
}

describe('COBS', () => {
  // The vectors of Cheshire & Baker / Wikipedia (without the trailing 0x00 delimiter).
  const vectors: [string, Uint8Array, Uint8Array][] = [
    ['empty', new Uint8Array(0), fromHex('01')],
    ['one zero', fromHex('00'), fromHex('01 01')],
    ['two zeros', fromHex('00 00'), fromHex('01 01 01')],
    ['zero in the middle', fromHex('11 22 00 33'), fromHex('03 11 22 02 33')],
    ['no zero', fromHex('11 22 33 44'), fromHex('05 11 22 33 44')],
    ['trailing zeros', fromHex('11 00 00 00'), fromHex('02 11 01 01 01')],
    ['254 non-zero bytes', range(1, 254), concat(fromHex('ff'), range(1, 254))],
    ['a zero then 254 non-zero bytes', range(0, 254), concat(fromHex('01 ff'), range(1, 254))],
    ['255 non-zero bytes', range(1, 255), concat(fromHex('ff'), range(1, 254), fromHex('02 ff'))],
    ['254 non-zero bytes then a zero', concat(range(2, 255), fromHex('00')), concat(fromHex('ff'), range(2, 255), fromHex('01 01'))],
    ['253 non-zero bytes then two zeros', concat(range(3, 255), fromHex('00 00')), concat(fromHex('fe'), range(3, 255), fromHex('01 01'))],
  ];

  it.each(vectors)('encodes and decodes the known vector: %s', (_name, raw, encoded) => {
    expect(hex(cobsEncode(raw))).toBe(hex(encoded));
    expect(hex(cobsDecode(encoded))).toBe(hex(raw));
  });

  it('round-trips any bytes, never emits 0x00, and stays within one byte per 254', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ min: 1, maxLength: 1200 }), fc.uint8Array({ max: 1, maxLength: 600 })),
        (raw) => {
          const encoded = cobsEncode(raw);
          expect(encoded.includes(0)).toBe(false);
          expect(encoded.length).toBeLessThanOrEqual(cobsMaxEncodedLength(raw.length));
          expect(encoded.length).toBeLessThanOrEqual(raw.length + Math.max(1, Math.ceil(raw.length / 254)));
          expect(hex(cobsDecode(encoded))).toBe(hex(raw));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('has one encoding per input: whatever decodes re-encodes to the same bytes', () => {
    // Build arbitrary well-formed block sequences, the only inputs that can decode at all.
    const block = fc
      .integer({ min: 1, max: 255 })
      .chain((code) => fc.uint8Array({ min: 1, minLength: code - 1, maxLength: code - 1 }).map((data) => concat(Uint8Array.of(code), data)));
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 6 }), (blocks) => {
        const encoded = concat(...blocks);
        let raw: Uint8Array;
        try {
          raw = cobsDecode(encoded);
        } catch (error) {
          expect(error).toBeInstanceOf(CobsError);
          return;
        }
        expect(hex(cobsEncode(raw))).toBe(hex(encoded));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects malformed encodings with the offset of the problem', () => {
    expect(decodeError(new Uint8Array(0)).offset).toBe(0);
    expect(decodeError(fromHex('03 11 00')).offset).toBe(2); // a zero inside
    expect(decodeError(fromHex('00')).offset).toBe(0); // a zero code
    expect(decodeError(fromHex('05 11 22')).offset).toBe(0); // block runs past the end
    expect(decodeError(fromHex('02 11 04 22')).offset).toBe(2);
    // The redundant spelling of 254 non-zero bytes (an empty block after a full one).
    expect(decodeError(concat(fromHex('ff'), range(1, 254), fromHex('01'))).offset).toBe(255);
  });

  it('never throws anything but CobsError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          cobsDecode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CobsError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
