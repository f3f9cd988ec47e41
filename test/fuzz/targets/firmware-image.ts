import fc from 'fast-check';
import { sha256 } from '../../../src/protocol/digest.js';
import { encodeHeader } from '../../../src/protocol/image/header.js';
import {
  FirmwareImageError,
  IMAGE_HEADER_SIZE,
  IMAGE_MAGIC,
  MAX_IMAGE_SIZE,
  TLV,
  buildImage,
  parseImage,
  peekImageSize,
  readManifest,
  signingKeyFromSeed,
  simulatorPayload,
  trustedKeyOf,
  verifyImage,
  type ParsedImage,
} from '../../../src/protocol/image/image.js';
import { keyIdOf, signWith } from '../../../src/protocol/image/keys.js';
import { TRAILER_MAGIC } from '../../../src/protocol/image/trailer.js';
import { concat, mutate, mutations } from '../mutate.js';
import { ensure, expectOnly, sameBytes, target } from '../target.js';

const KEY = signingKeyFromSeed(new Uint8Array(32).fill(7));
const OTHER = signingKeyFromSeed(new Uint8Array(32).fill(9));
const TRUSTED = [trustedKeyOf(KEY.publicKey)];

/**
 * A signed image whose trailer holds the required TLVs in the given order plus informational
 * ones: the shapes buildImage never makes but a reader must take.
 */
function imageWithTrailer(payload: Uint8Array, order: number[], informational: Uint8Array[]): Uint8Array {
  const tlv = (type: number, value: Uint8Array) => {
    const out = new Uint8Array(4 + value.length);
    const view = new DataView(out.buffer);
    view.setUint16(0, type, true);
    view.setUint16(2, value.length, true);
    out.set(value, 4);
    return out;
  };
  const sizes = [8, 32, 64].map((n) => 4 + n);
  const trailerSize = 8 + sizes.reduce((a, b) => a + b, 0) + informational.reduce((n, v) => n + 4 + v.length, 0);
  const header = encodeHeader({ version: { major: 2, minor: 1, patch: 0, build: 5 }, securityCounter: 3, payloadSize: payload.length, flags: 0, trailerSize });
  const digest = sha256(concat(header, payload));
  const required = [tlv(TLV.keyId, keyIdOf(KEY.publicKey)), tlv(TLV.sha256, digest), tlv(TLV.ed25519, signWith(KEY, digest))];
  const head = new Uint8Array(8);
  head.set(TRAILER_MAGIC);
  new DataView(head.buffer).setUint32(4, trailerSize, true);
  const body = [...order.map((i) => required[i]!), ...informational.map((v, i) => tlv(0x8000 + i * 0x1111, v))];
  return concat(header, payload, head, ...body);
}

/** A handful of valid images: plain, with a simulator manifest, with a foreign key, with odd trailers. */
const IMAGES: Uint8Array[] = [
  buildImage({ version: { major: 1, minor: 0, patch: 0, build: 0 }, securityCounter: 0, payload: new Uint8Array(0) }, KEY),
  buildImage(
    { version: { major: 1, minor: 2, patch: 3, build: 4 }, securityCounter: 7, payload: Uint8Array.from({ length: 48 }, (_, i) => i), flags: 0xffff_ffff },
    KEY,
  ),
  buildImage(
    {
      version: { major: 3, minor: 0, patch: 1, build: 0 },
      securityCounter: 2,
      payload: simulatorPayload({ simulate: ['slow-boot', 'fails-health'], size: 160 }),
    },
    KEY,
  ),
  buildImage({ version: { major: 9, minor: 9, patch: 9, build: 9 }, securityCounter: 1, payload: new Uint8Array(200).fill(0xff) }, OTHER),
  imageWithTrailer(Uint8Array.of(1, 2, 3), [2, 0, 1], [Uint8Array.of(0xaa, 0xbb)]),
  imageWithTrailer(new Uint8Array(64), [1, 2, 0], [new Uint8Array(0), new Uint8Array(40).fill(0x55)]),
];
for (const image of IMAGES.slice(0, 3)) verifyImage(image, TRUSTED); // the harness's own sanity: these are valid

/** Damaged or extended bytes of IMAGES[i], remembered with the image they came from. */
const fromImage = (bytes: Uint8Array, i: number) => ({ bytes, original: IMAGES[i % IMAGES.length]! });

const input = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ bytes, original: null })),
  // Random bytes behind a good magic and plausible format fields.
  fc.tuple(fc.uint8Array({ minLength: 56, maxLength: 600 }), fc.boolean()).map(([rest, zeroReserved]) => {
    const bytes = concat(IMAGE_MAGIC, Uint8Array.of(1, 0, 64, 0), rest);
    if (zeroReserved) bytes.fill(0, 32, 64);
    return { bytes, original: null };
  }),
  fc.tuple(fc.nat(), fc.nat(), mutations(4)).map(([i, j, m]) => fromImage(mutate(IMAGES[i % IMAGES.length]!, m, IMAGES[j % IMAGES.length]), i)),
  // A valid image with bytes after it (a whole flash slot): still that image.
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 100 })).map(([i, extra]) => fromImage(concat(IMAGES[i % IMAGES.length]!, extra), i)),
);

const HASHED = (image: Uint8Array) => image.subarray(0, IMAGE_HEADER_SIZE + new DataView(image.buffer, image.byteOffset).getUint32(20, true));

export default target({
  name: 'firmware-image',
  what: 'parseImage, verifyImage, peekImageSize and readManifest on random and damaged images: FirmwareImageError only; an accepted image is the original, header and payload byte for byte',
  arbitrary: input,
  check: ({ bytes, original }) => {
    const peek = expectOnly(() => peekImageSize(bytes.subarray(0, IMAGE_HEADER_SIZE)), FirmwareImageError);
    if (peek.error === undefined) ensure(peek.value >= IMAGE_HEADER_SIZE + 8 && peek.value <= MAX_IMAGE_SIZE, () => `peekImageSize gave ${peek.value}`);

    // The manifest reader sees damaged manifests here, before the hash would refuse them.
    expectOnly(() => readManifest(bytes.subarray(IMAGE_HEADER_SIZE)), FirmwareImageError);
    const parsed = expectOnly((): ParsedImage => parseImage(bytes), FirmwareImageError);
    const verified = expectOnly((): ParsedImage => verifyImage(bytes, TRUSTED), FirmwareImageError);
    if (verified.error === undefined) ensure(parsed.error === undefined, 'verifyImage accepted what parseImage refused');
    if (parsed.error !== undefined) return;
    // Accepting means the SHA-256 matched: only an intact header and payload can do that.
    ensure(original !== null, 'parseImage accepted random bytes');
    ensure(sameBytes(HASHED(bytes), HASHED(original)), 'parseImage accepted an image whose header or payload changed');
    ensure(parsed.value.size <= bytes.length, () => `image size ${parsed.value.size} beyond the ${bytes.length} bytes given`);
  },
});
