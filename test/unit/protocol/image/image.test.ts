import { describe, expect, it } from 'vitest';
import {
  buildImage,
  FirmwareImageError,
  IMAGE_HEADER_SIZE,
  keyIdOf,
  MAX_IMAGE_SIZE,
  parseImage,
  peekImageSize,
  signingKeyFromSeed,
  STANDARD_TRAILER_SIZE,
  TLV,
  trustedKeyOf,
  verifyImage,
  type ImageErrorCode,
} from '../../../../src/protocol/image/image.js';
import { sha256 } from '../../../../src/protocol/digest.js';
import { encodeHeader } from '../../../../src/protocol/image/header.js';
import { signWith } from '../../../../src/protocol/image/keys.js';
import { encodeTrailer } from '../../../../src/protocol/image/trailer.js';

const KEY = signingKeyFromSeed(new Uint8Array(32).fill(7));
const OTHER = signingKeyFromSeed(new Uint8Array(32).fill(9));
const TRUSTED = [trustedKeyOf(KEY.publicKey)];
const PAYLOAD = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
const VERSION = { major: 2, minor: 5, patch: 1024, build: 77 };

function image(overrides: Partial<Parameters<typeof buildImage>[0]> = {}, key = KEY): Uint8Array {
  return buildImage({ version: VERSION, securityCounter: 4, payload: PAYLOAD, flags: 0x10, ...overrides }, key);
}

function flipped(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= mask;
  return copy;
}

function codeOf(fn: () => unknown): ImageErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FirmwareImageError);
    return (err as FirmwareImageError).code;
  }
  throw new Error('expected a FirmwareImageError, nothing was thrown');
}

const trailerAt = IMAGE_HEADER_SIZE + PAYLOAD.length;

describe('firmware image: round trip', () => {
  it('parses and verifies what it built, field for field', () => {
    const bytes = image();
    expect(bytes.length).toBe(IMAGE_HEADER_SIZE + PAYLOAD.length + STANDARD_TRAILER_SIZE);
    const parsed = verifyImage(bytes, TRUSTED, 4);
    expect(parsed.header).toEqual({ version: VERSION, securityCounter: 4, payloadSize: PAYLOAD.length, flags: 0x10, trailerSize: STANDARD_TRAILER_SIZE });
    expect(Buffer.from(parsed.payload).equals(Buffer.from(PAYLOAD))).toBe(true);
    expect(Buffer.from(parsed.sha256).equals(Buffer.from(sha256(bytes.subarray(0, trailerAt))))).toBe(true);
    expect(Buffer.from(parsed.keyId).equals(Buffer.from(keyIdOf(KEY.publicKey)))).toBe(true);
    expect(parsed.signature.length).toBe(64);
    expect(parsed.size).toBe(bytes.length);
  });

  it('starts with the magic, little-endian fields at their documented offsets', () => {
    const bytes = image();
    const view = new DataView(bytes.buffer);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('FUFW');
    expect(view.getUint16(4, true)).toBe(1);
    expect(view.getUint16(6, true)).toBe(64);
    expect([view.getUint8(8), view.getUint8(9), view.getUint16(10, true), view.getUint32(12, true)]).toEqual([2, 5, 1024, 77]);
    expect(view.getUint32(16, true)).toBe(4);
    expect(view.getUint32(20, true)).toBe(PAYLOAD.length);
    expect(view.getUint32(24, true)).toBe(STANDARD_TRAILER_SIZE);
    expect(view.getUint32(28, true)).toBe(0x10);
    expect(bytes.subarray(32, 64).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(bytes.subarray(trailerAt, trailerAt + 4)).toString('latin1')).toBe('FUTL');
    expect(view.getUint16(trailerAt + 8, true)).toBe(TLV.keyId);
  });

  it('is deterministic: same spec and key, same bytes (Ed25519 signatures are)', () => {
    expect(Buffer.from(image()).equals(Buffer.from(image()))).toBe(true);
  });

  it('builds and parses an empty payload', () => {
    const parsed = verifyImage(image({ payload: new Uint8Array(0) }), TRUSTED);
    expect(parsed.payload.length).toBe(0);
  });

  it('reads an image at the start of a longer flash slot and ignores what follows', () => {
    const bytes = image();
    const slot = new Uint8Array(bytes.length + 500).fill(0xff);
    slot.set(bytes);
    expect(peekImageSize(slot.subarray(0, IMAGE_HEADER_SIZE))).toBe(bytes.length);
    expect(verifyImage(slot, TRUSTED).size).toBe(bytes.length);
  });
});

describe('firmware image: each check gives its own error', () => {
  it('a key that is not trusted → untrustedKey, naming the key id', () => {
    expect(codeOf(() => verifyImage(image({}, OTHER), TRUSTED))).toBe('untrustedKey');
    expect(codeOf(() => verifyImage(image(), []))).toBe('untrustedKey');
    expect(() => verifyImage(image({}, OTHER), TRUSTED)).toThrow(Buffer.from(keyIdOf(OTHER.publicKey)).toString('hex'));
  });

  it('a trusted key id whose public key did not sign → badSignature', () => {
    const impostor = { keyId: keyIdOf(KEY.publicKey), publicKey: OTHER.publicKey };
    expect(codeOf(() => verifyImage(image(), [impostor]))).toBe('badSignature');
  });

  it('a flipped bit in the payload → badHash', () => {
    expect(codeOf(() => parseImage(flipped(image(), IMAGE_HEADER_SIZE + 100)))).toBe('badHash');
  });

  it('a flipped bit in the version field → badHash (the header is hashed, hence signed)', () => {
    expect(codeOf(() => parseImage(flipped(image(), 9)))).toBe('badHash');
  });

  it('a flipped bit in the signature → badSignature', () => {
    const signatureAt = trailerAt + 8 + (4 + 8) + (4 + 32) + 4;
    const bytes = flipped(image(), signatureAt + 10, 0x40);
    expect(parseImage(bytes).size).toBe(bytes.length);
    expect(codeOf(() => verifyImage(bytes, TRUSTED))).toBe('badSignature');
  });

  it('a flipped bit in the key id → untrustedKey', () => {
    expect(codeOf(() => verifyImage(flipped(image(), trailerAt + 8 + 4), TRUSTED))).toBe('untrustedKey');
  });

  it('cut short anywhere → truncated', () => {
    const bytes = image();
    for (const length of [0, 1, 63, 64, 200, bytes.length - 1]) {
      expect(
        codeOf(() => parseImage(bytes.subarray(0, length))),
        `length ${length}`,
      ).toBe('truncated');
    }
    expect(() => parseImage(bytes.subarray(0, 200))).toThrow(`header declares a ${bytes.length}-byte image`);
  });

  it('a security counter below the minimum → securityCounter; equal or above passes', () => {
    expect(codeOf(() => verifyImage(image({ securityCounter: 3 }), TRUSTED, 4))).toBe('securityCounter');
    expect(verifyImage(image({ securityCounter: 4 }), TRUSTED, 4).header.securityCounter).toBe(4);
    expect(verifyImage(image({ securityCounter: 9 }), TRUSTED, 4).header.securityCounter).toBe(9);
  });

  it('not an image at all → badMagic', () => {
    expect(codeOf(() => parseImage(new TextEncoder().encode('#!/bin/sh\n'.repeat(10))))).toBe('badMagic');
  });

  it('an unknown format version, header size, or a non-zero reserved byte → badHeader naming the byte', () => {
    const bytes = image();
    expect(codeOf(() => parseImage(flipped(bytes, 4, 0x02)))).toBe('badHeader');
    expect(codeOf(() => parseImage(flipped(bytes, 6, 0x80)))).toBe('badHeader');
    expect(codeOf(() => parseImage(flipped(bytes, 40, 0x01)))).toBe('badHeader');
    expect(() => parseImage(flipped(bytes, 40))).toThrow('reserved header byte 40');
  });

  it('a smaller payload size moves the trailer → badTrailer; a larger one runs past the end → truncated', () => {
    const bytes = image();
    expect(codeOf(() => parseImage(flipped(bytes, 20, 0x04)))).toBe('badTrailer');
    expect(codeOf(() => parseImage(flipped(bytes, 21, 0x02)))).toBe('truncated');
  });

  it('a header declaring more than MAX_IMAGE_SIZE → tooLarge, even from the header alone', () => {
    const header = image().slice(0, IMAGE_HEADER_SIZE);
    new DataView(header.buffer).setUint32(20, MAX_IMAGE_SIZE, true);
    expect(codeOf(() => peekImageSize(header))).toBe('tooLarge');
    expect(codeOf(() => parseImage(header))).toBe('tooLarge');
  });

  it('buildImage refuses a payload over the limit (tooLarge) and out-of-range fields (badHeader)', () => {
    expect(codeOf(() => image({ payload: new Uint8Array(MAX_IMAGE_SIZE) }))).toBe('tooLarge');
    expect(codeOf(() => image({ securityCounter: -1 }))).toBe('badHeader');
    expect(codeOf(() => image({ securityCounter: 2 ** 32 }))).toBe('badHeader');
    expect(codeOf(() => image({ version: { major: 256, minor: 0, patch: 0, build: 0 } }))).toBe('badHeader');
    expect(codeOf(() => image({ flags: 1.5 }))).toBe('badHeader');
  });
});

describe('firmware image: the TLV trailer', () => {
  /** A validly hashed and signed image whose trailer carries one more TLV after the standard three. */
  function withExtraTlv(type: number, value: Uint8Array): Uint8Array {
    const trailerSize = STANDARD_TRAILER_SIZE + 4 + value.length;
    const header = encodeHeader({ version: VERSION, securityCounter: 4, payloadSize: PAYLOAD.length, flags: 0, trailerSize });
    const signed = new Uint8Array([...header, ...PAYLOAD]);
    const digest = sha256(signed);
    const trailer = new Uint8Array(trailerSize);
    trailer.set(encodeTrailer({ keyId: keyIdOf(KEY.publicKey), sha256: digest, signature: signWith(KEY, digest) }));
    const view = new DataView(trailer.buffer);
    view.setUint32(4, trailerSize, true);
    view.setUint16(STANDARD_TRAILER_SIZE, type, true);
    view.setUint16(STANDARD_TRAILER_SIZE + 2, value.length, true);
    trailer.set(value, STANDARD_TRAILER_SIZE + 4);
    return new Uint8Array([...signed, ...trailer]);
  }

  it('skips an unknown informational TLV (type >= 0x8000)', () => {
    const bytes = withExtraTlv(0x8001, Uint8Array.of(1, 2, 3));
    expect(verifyImage(bytes, TRUSTED).size).toBe(bytes.length);
  });

  it('refuses an unknown critical TLV (type < 0x8000) → badTrailer', () => {
    const bytes = withExtraTlv(0x0042, Uint8Array.of(1));
    expect(codeOf(() => parseImage(bytes))).toBe('badTrailer');
    expect(() => parseImage(bytes)).toThrow('unknown critical TLV type 0x0042');
  });

  it('refuses a second SHA-256 TLV → badTrailer', () => {
    const bytes = withExtraTlv(TLV.sha256, new Uint8Array(32));
    expect(() => parseImage(bytes)).toThrow('appears a second time');
  });

  it('refuses a TLV that runs past the end of the trailer → badTrailer', () => {
    const bytes = image();
    const view = new DataView(bytes.buffer);
    view.setUint16(trailerAt + 8 + 2, 0x0fff, true);
    expect(codeOf(() => parseImage(bytes))).toBe('badTrailer');
  });

  it('refuses a trailer whose own length disagrees with the header → badTrailer', () => {
    expect(() => parseImage(flipped(image(), trailerAt + 4))).toThrow("does not match the header's trailer size");
  });
});
