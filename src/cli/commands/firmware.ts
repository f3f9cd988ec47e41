/**
 * `fulcrum firmware keygen|build|inspect`: signing keys and signed images, on the operator's
 * machine. Option values that are wrong exit 2; input files that are wrong exit 3; either way
 * nothing is written.
 */

import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  buildImage,
  encodeManifest,
  FirmwareImageError,
  formatVersion,
  generateSigningKey,
  IMAGE_HEADER_SIZE,
  isSimulatedBehaviour,
  keyIdOf,
  MANIFEST_MARKER,
  MAX_IMAGE_SIZE,
  parseImage,
  parseVersion,
  readManifest,
  SIMULATED_BEHAVIOURS,
  simulatorPayload,
  STANDARD_TRAILER_SIZE,
  verifyImage,
  type FirmwareVersion,
  type ParsedImage,
  type SimulatedBehaviour,
} from '../../protocol/image/image.js';
import { encodePrivateKeyPem, encodePublicKeyPem } from '../../protocol/host/node-crypto.js';
import { sha256, toHex } from '../../protocol/digest.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, printJson } from '../output.js';
import { readImageFile, readInputFile, readSigningKey, readTrustedKey, writeFileAtomic } from './firmware-files.js';

/**
 * An image's one identifier: the SHA-256 of the whole file, as `sha256sum` prints it and as the
 * catalog, the API and rollouts name the image (src/upgrade/catalog.ts). The digest the signature
 * covers (header and payload, without the trailer) is another value, shown as `signedDigest`.
 */
const fileSha256 = (bytes: Uint8Array): string => toHex(sha256(bytes));

export const SIGNING_KEY_FILE = 'signing.key';
export const PUBLIC_KEY_FILE = 'signing.pub';

/** An image problem as the operator sees it: the file, what is wrong and where, and the check's code. */
function imageError(file: string, err: unknown): never {
  if (err instanceof FirmwareImageError) throw new CliError(`${file}: ${err.message} [${err.code}]`, EXIT.invalidInput);
  throw err;
}

export interface KeygenOptions {
  out: string;
  force?: boolean;
  json?: boolean;
}

export function keygen(opts: KeygenOptions): void {
  const keyFile = path.join(opts.out, SIGNING_KEY_FILE);
  const pubFile = path.join(opts.out, PUBLIC_KEY_FILE);
  if (existsSync(opts.out) && !statSync(opts.out).isDirectory()) throw new CliError(`--out ${opts.out}: not a directory`, EXIT.invalidInput);
  if (!opts.force) {
    const existing = [keyFile, pubFile].filter((f) => existsSync(f));
    if (existing.length > 0) {
      throw new CliError(
        `${existing.join(' and ')} already ${existing.length === 1 ? 'exists' : 'exist'}: refusing to replace a signing key (images signed with it would no longer verify against a new signing.pub); use --force to replace it`,
        EXIT.invalidInput,
      );
    }
  }
  try {
    mkdirSync(opts.out, { recursive: true });
  } catch (err) {
    throw new CliError(`--out ${opts.out}: cannot create the directory: ${(err as Error).message}`, EXIT.invalidInput);
  }
  const key = generateSigningKey();
  writeFileAtomic(keyFile, encodePrivateKeyPem(key), 0o600);
  writeFileAtomic(pubFile, encodePublicKeyPem(key.publicKey), 0o644);
  const keyId = toHex(keyIdOf(key.publicKey));
  if (opts.json) return printJson({ key: keyFile, pub: pubFile, keyId });
  process.stdout.write(
    `wrote ${keyFile} (the private key, mode 0600: keep it on the build host)\n` +
      `wrote ${pubFile} (the public key appliances and \`firmware inspect --pubkey\` trust)\n` +
      `key id ${keyId}\n`,
  );
}

export interface BuildOptions {
  version: string;
  securityCounter: string;
  key: string;
  out: string;
  payloadSize?: string;
  payload?: string;
  simulate: string[];
  json?: boolean;
}

function parseVersionOption(text: string): FirmwareVersion {
  try {
    return parseVersion(text);
  } catch (err) {
    if (err instanceof FirmwareImageError) throw new CliError(`--version: ${err.message}`, EXIT.usage);
    throw err;
  }
}

function parseCounterOption(text: string): number {
  const value = /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : NaN;
  if (!(value <= 0xffff_ffff)) throw new CliError(`--security-counter: must be an integer 0..4294967295, got ${JSON.stringify(text)}`, EXIT.usage);
  return value;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, KiB: 1024, M: 1024 * 1024, MiB: 1024 * 1024 };

/** "4096", "64K", "64KiB", "1M", "1MiB" → bytes; the largest payload an image can hold at most. */
function parsePayloadSizeOption(text: string): number {
  const m = /^(0|[1-9][0-9]*)(K|KiB|M|MiB)?$/.exec(text);
  const bytes = m ? Number(m[1]) * SIZE_UNITS[m[2] ?? '']! : NaN;
  const max = MAX_IMAGE_SIZE - IMAGE_HEADER_SIZE - STANDARD_TRAILER_SIZE;
  if (!(bytes <= max))
    throw new CliError(`--payload-size: must be a byte count like 4096, 64KiB or 1MiB, at most ${max}; got ${JSON.stringify(text)}`, EXIT.usage);
  return bytes;
}

function parseSimulateOption(list: readonly string[]): SimulatedBehaviour[] {
  const out: SimulatedBehaviour[] = [];
  for (const item of list) {
    if (!isSimulatedBehaviour(item))
      throw new CliError(`--simulate: unknown behaviour ${JSON.stringify(item)}; expected one of ${SIMULATED_BEHAVIOURS.join(', ')}`, EXIT.usage);
    if (out.includes(item)) throw new CliError(`--simulate: ${item} is given twice`, EXIT.usage);
    out.push(item);
  }
  return out;
}

/** The payload of `build`: generated filler behind the manifest, or a file with the manifest put in front. */
function buildPayload(opts: BuildOptions, simulate: SimulatedBehaviour[]): Uint8Array {
  if ((opts.payloadSize === undefined) === (opts.payload === undefined)) {
    throw new CliError('give exactly one of --payload-size BYTES (generated filler) or --payload FILE', EXIT.usage);
  }
  if (opts.payloadSize !== undefined) {
    const size = parsePayloadSizeOption(opts.payloadSize);
    const manifestSize = simulate.length > 0 ? encodeManifest({ simulate }).length : 0;
    if (size < manifestSize) throw new CliError(`--payload-size: ${size} bytes cannot hold the ${manifestSize}-byte simulator manifest`, EXIT.usage);
    return simulatorPayload({ simulate, size });
  }
  const file = opts.payload!;
  const limit = MAX_IMAGE_SIZE - IMAGE_HEADER_SIZE - STANDARD_TRAILER_SIZE;
  const content = readInputFile(file, 'payload', limit);
  const hasManifest = MANIFEST_MARKER.every((b, i) => content[i] === b);
  if (hasManifest) {
    if (simulate.length > 0) throw new CliError(`${file}: already starts with a simulator manifest; drop --simulate or the file's manifest`, EXIT.invalidInput);
    try {
      readManifest(content);
    } catch (err) {
      imageError(file, err);
    }
    return content;
  }
  if (simulate.length === 0) return content;
  const manifest = encodeManifest({ simulate });
  if (manifest.length + content.length > limit)
    throw new CliError(`${file}: with the simulator manifest the payload exceeds ${limit} bytes`, EXIT.invalidInput);
  return new Uint8Array([...manifest, ...content]);
}

export function build(opts: BuildOptions): void {
  // Every option is checked before any file is read, and every input before anything is written.
  const version = parseVersionOption(opts.version);
  const securityCounter = parseCounterOption(opts.securityCounter);
  const simulate = parseSimulateOption(opts.simulate);
  const signingKey = readSigningKey(opts.key);
  const payload = buildPayload(opts, simulate);
  let bytes: Uint8Array;
  try {
    bytes = buildImage({ version, securityCounter, payload }, signingKey);
  } catch (err) {
    imageError(opts.out, err);
  }
  writeFileAtomic(opts.out, bytes, 0o644);
  const image = parseImage(bytes);
  const summary = {
    file: opts.out,
    version: formatVersion(version),
    securityCounter,
    size: image.size,
    sha256: fileSha256(bytes),
    signedDigest: toHex(image.sha256),
    keyId: toHex(image.keyId),
    simulate: readManifest(image.payload).simulate,
  };
  if (opts.json) return printJson(summary);
  process.stdout.write(
    `wrote ${summary.file}: firmware ${summary.version}, security counter ${securityCounter}, ${formatBytes(summary.size)} (${summary.size} bytes)\n` +
      `sha256 ${summary.sha256} (of the file, as sha256sum, the catalog and rollouts name it)\n` +
      `signed by key id ${summary.keyId} (signed digest ${summary.signedDigest})\n` +
      (simulate.length > 0 ? `simulates ${simulate.join(', ')}\n` : ''),
  );
}

export interface InspectOptions {
  pubkey: string[];
  json?: boolean;
}

export function inspect(file: string, opts: InspectOptions): void {
  const trusted = opts.pubkey.map((f) => ({ file: f, key: readTrustedKey(f) }));
  const bytes = readImageFile(file);
  let image: ParsedImage;
  try {
    image =
      trusted.length > 0
        ? verifyImage(
            bytes,
            trusted.map((t) => t.key),
          )
        : parseImage(bytes);
  } catch (err) {
    imageError(file, err);
  }
  // A file is one image: bytes after it mean a bad concatenation or download, not a flash slot.
  if (bytes.length > image.size) {
    throw new CliError(
      `${file}: ${bytes.length - image.size} unexpected byte(s) after the end of the image at byte ${image.size} [badTrailer]`,
      EXIT.invalidInput,
    );
  }
  let simulate: SimulatedBehaviour[];
  try {
    simulate = readManifest(image.payload).simulate;
  } catch (err) {
    imageError(file, err);
  }
  const keyId = toHex(image.keyId);
  const verifiedBy = trusted.find((t) => toHex(t.key.keyId) === keyId)?.file;
  const h = image.header;
  if (opts.json) {
    return printJson({
      file,
      version: formatVersion(h.version),
      securityCounter: h.securityCounter,
      size: image.size,
      payloadSize: h.payloadSize,
      flags: h.flags,
      sha256: fileSha256(bytes),
      signedDigest: toHex(image.sha256),
      keyId,
      verified: verifiedBy !== undefined,
      simulate,
    });
  }
  const rows: [string, string][] = [
    ['version', formatVersion(h.version)],
    ['security counter', String(h.securityCounter)],
    ['size', `${formatBytes(image.size)} (${image.size} bytes; payload ${h.payloadSize})`],
    ['flags', `0x${h.flags.toString(16).padStart(8, '0')}`],
    ['sha256', `${fileSha256(bytes)} (of the file: the catalog's and rollouts' name for it)`],
    ['signed digest', `${toHex(image.sha256)} (SHA-256 of header and payload, what the signature covers)`],
    ['key id', keyId],
    ['signature', verifiedBy ? `verified with ${verifiedBy}` : 'not checked (give --pubkey FILE to verify)'],
    ['simulate', simulate.length > 0 ? simulate.join(', ') : 'nothing (a healthy image)'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${file}: Fulcrum firmware image\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}\n`).join('')}`);
}
