import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildImage,
  FirmwareImageError,
  IMAGE_MAGIC,
  parseImage,
  peekImageSize,
  signingKeyFromSeed,
  trustedKeyOf,
  verifyImage,
  type ParsedImage,
} from '../../../../src/protocol/image/image.js';

const KEY = signingKeyFromSeed(new Uint8Array(32).fill(3));
const TRUSTED = [trustedKeyOf(KEY.publicKey)];

/** The parser's whole promise: a ParsedImage or a FirmwareImageError, never anything else. */
function outcome(fn: () => ParsedImage): ParsedImage | FirmwareImageError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FirmwareImageError) return err;
    throw err;
  }
}

const version = fc.record({
  major: fc.integer({ min: 0, max: 255 }),
  minor: fc.integer({ min: 0, max: 255 }),
  patch: fc.integer({ min: 0, max: 0xffff }),
  build: fc.integer({ min: 0, max: 0xffff_ffff }),
});
const spec = fc.record({
  version,
  securityCounter: fc.integer({ min: 0, max: 0xffff_ffff }),
  payload: fc.uint8Array({ maxLength: 200 }),
  flags: fc.integer({ min: 0, max: 0xffff_ffff }),
});

const SMALL = buildImage(
  { version: { major: 1, minor: 2, patch: 3, build: 4 }, securityCounter: 7, payload: Uint8Array.from({ length: 48 }, (_, i) => i), flags: 0 },
  KEY,
);

describe('firmware image parser: property and exhaustive fault tests', () => {
  it('random bytes: always a FirmwareImageError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(outcome(() => verifyImage(bytes, TRUSTED))).toBeInstanceOf(FirmwareImageError);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a valid magic and format fields: always a FirmwareImageError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 600 }), fc.boolean(), (bytes, zeroReserved) => {
        bytes.set(IMAGE_MAGIC);
        bytes.set([1, 0, 64, 0], 4);
        if (zeroReserved) bytes.fill(0, 32, 64);
        expect(outcome(() => verifyImage(bytes, TRUSTED))).toBeInstanceOf(FirmwareImageError);
      }),
      { numRuns: 2000 },
    );
  });

  it('any built image verifies and round-trips its fields', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const bytes = buildImage(s, KEY);
        const parsed = verifyImage(bytes, TRUSTED, s.securityCounter);
        expect(parsed.header.version).toEqual(s.version);
        expect(parsed.header.securityCounter).toBe(s.securityCounter);
        expect(parsed.header.flags).toBe(s.flags);
        expect(Buffer.from(parsed.payload).equals(Buffer.from(s.payload))).toBe(true);
        expect(peekImageSize(bytes)).toBe(bytes.length);
      }),
      { numRuns: 200 },
    );
  });

  it('truncated at every length: truncated, every time', () => {
    for (let length = 0; length < SMALL.length; length++) {
      const result = outcome(() => verifyImage(SMALL.subarray(0, length), TRUSTED));
      expect(result, `length ${length}`).toBeInstanceOf(FirmwareImageError);
      expect((result as FirmwareImageError).code, `length ${length}`).toBe('truncated');
    }
  });

  it('every single bit flip inside the image is refused; flips in a slot past the image are ignored', () => {
    const slot = new Uint8Array(SMALL.length + 16).fill(0xff);
    slot.set(SMALL);
    for (let bit = 0; bit < slot.length * 8; bit++) {
      const copy = slot.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const result = outcome(() => verifyImage(copy, TRUSTED));
      if (bit >> 3 < SMALL.length) expect(result, `bit ${bit}`).toBeInstanceOf(FirmwareImageError);
      else expect((result as ParsedImage).size, `bit ${bit}`).toBe(SMALL.length);
    }
  });

  it('random damage to a random image (flips, overwritten runs, cuts): refused or, when nothing changed, accepted', () => {
    const damage = fc.record({
      flips: fc.array(fc.nat(), { maxLength: 4 }),
      run: fc.option(fc.record({ at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) })),
      cut: fc.option(fc.nat()),
      tail: fc.uint8Array({ maxLength: 32 }),
    });
    fc.assert(
      fc.property(spec, damage, (s, d) => {
        const image = buildImage(s, KEY);
        let bytes = new Uint8Array([...image, ...d.tail]);
        for (const f of d.flips) bytes[f % bytes.length]! ^= 1 << (f % 8);
        if (d.run) bytes.set(d.run.bytes.subarray(0, Math.max(0, bytes.length - (d.run.at % bytes.length))), d.run.at % bytes.length);
        if (d.cut !== null) bytes = bytes.subarray(0, d.cut % (bytes.length + 1));
        const result = outcome(() => verifyImage(bytes, TRUSTED));
        const intact = bytes.length >= image.length && Buffer.from(bytes.subarray(0, image.length)).equals(Buffer.from(image));
        if (intact) expect((result as ParsedImage).size).toBe(image.length);
        else expect(result).toBeInstanceOf(FirmwareImageError);
      }),
      { numRuns: 500 },
    );
  });

  it('parseImage alone throws nothing but FirmwareImageError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const result = outcome(() => parseImage(bytes));
        expect(result).toBeInstanceOf(FirmwareImageError);
      }),
      { numRuns: 1000 },
    );
  });
});
