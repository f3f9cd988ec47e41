/**
 * Ed25519 keys for signing images, with Node's built-in crypto only.
 *
 * Raw form: the 32-byte private seed and the 32-byte public key (RFC 8032). Files: standard
 * PEM, PKCS#8 for the private key ("PRIVATE KEY") and SubjectPublicKeyInfo for the public key
 * ("PUBLIC KEY"), so `openssl pkey -in signing.key -text` and `openssl pkey -pubin -in
 * signing.pub -text` read them. Encrypted private keys are refused: the signing host is meant
 * to guard the file (mode 0600), and a passphrase prompt would block unattended builds.
 */

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { sha256 } from '../digest.js';
import { FirmwareKeyError } from './errors.js';
import { KEY_ID_SIZE } from './trailer.js';

export const ED25519_KEY_SIZE = 32;

export interface SigningKey {
  /** Raw 32-byte Ed25519 seed. */
  privateKey: Uint8Array;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** A public key the verifier accepts signatures from, found by the key id an image names. */
export interface TrustedKey {
  keyId: Uint8Array;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

// PKCS#8 DER of an Ed25519 private key, up to the 32-byte seed (RFC 8410 §7): Node imports a
// seed this way without needing the public half that JWK import asks for.
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

function checkRaw(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ED25519_KEY_SIZE) {
    throw new FirmwareKeyError('badKey', `${what} must be ${ED25519_KEY_SIZE} raw bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof text === 'string' ? text : '', 'base64url'));

function privateKeyObject(seed: Uint8Array): KeyObject {
  checkRaw(seed, 'an Ed25519 private key (seed)');
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + ED25519_KEY_SIZE);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkRaw(publicKey, 'an Ed25519 public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
}

function rawPublicOf(key: KeyObject): Uint8Array {
  return fromB64url(key.export({ format: 'jwk' }).x);
}

export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  const key = privateKeyObject(seed);
  return { privateKey: new Uint8Array(seed), publicKey: rawPublicOf(createPublicKey(key)) };
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateKey: fromB64url(jwk.d), publicKey: fromB64url(jwk.x) };
}

/** First 8 bytes of SHA-256 of the raw public key: names the key in an image's trailer. */
export function keyIdOf(publicKey: Uint8Array): Uint8Array {
  checkRaw(publicKey, 'an Ed25519 public key');
  return sha256(publicKey).slice(0, KEY_ID_SIZE);
}

export function trustedKeyOf(publicKey: Uint8Array): TrustedKey {
  return { keyId: keyIdOf(publicKey), publicKey: new Uint8Array(publicKey) };
}

/** The private KeyObject of a pair, once its public half is checked against the seed (a mismatch would sign under the wrong key id). */
function checkedPrivateKey(k: SigningKey): KeyObject {
  const key = privateKeyObject(k.privateKey);
  checkRaw(k.publicKey, 'an Ed25519 public key');
  if (!Buffer.from(rawPublicOf(createPublicKey(key))).equals(Buffer.from(k.publicKey))) {
    throw new FirmwareKeyError('badKey', "the signing key's public key does not belong to its private key");
  }
  return key;
}

/** The Ed25519 signature of `message`. FirmwareKeyError('badKey') when the public half does not match the seed. */
export function signWith(key: SigningKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, checkedPrivateKey(key)));
}

/** Whether `signature` is publicKey's Ed25519 signature of `message`; never throws for a bad signature. */
export function verifyWith(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(publicKey);
  try {
    return verify(null, message, key, signature);
  } catch {
    // OpenSSL may refuse a malformed signature outright instead of returning false.
    return false;
  }
}


/** A name for the PEM block in `text`, for messages: "PUBLIC KEY", "ENCRYPTED PRIVATE KEY"… */
function pemLabel(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

/** Refuses any PEM block but `wanted`, since Node would also derive a public key from a private key or a certificate. */
function requireLabel(text: string, wanted: 'PRIVATE KEY' | 'PUBLIC KEY', what: string): void {
  if (typeof text !== 'string') throw new FirmwareKeyError('badPem', `${what}: expected PEM text`);
  const label = pemLabel(text);
  if (label === undefined) throw new FirmwareKeyError('badPem', `${what}: not PEM (no "-----BEGIN …-----" line)`);
  if (label === wanted) return;
  if (label === 'ENCRYPTED PRIVATE KEY') throw new FirmwareKeyError('badPem', `${what}: the private key is encrypted; write it unencrypted (openssl pkey -in KEY -out PLAIN) and guard the file instead`);
  throw new FirmwareKeyError('badPem', `${what}: found a PEM "${label}", expected "${wanted}"`);
}

export function encodePrivateKeyPem(k: SigningKey): string {
  return checkedPrivateKey(k).export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function decodePrivateKeyPem(text: string): SigningKey {
  requireLabel(text, 'PRIVATE KEY', 'private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new FirmwareKeyError('badPem', `private key: the PEM does not decode: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new FirmwareKeyError('wrongKeyType', `private key: an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  const jwk = key.export({ format: 'jwk' });
  return { privateKey: fromB64url(jwk.d), publicKey: fromB64url(jwk.x) };
}

export function encodePublicKeyPem(pub: Uint8Array): string {
  return publicKeyObject(pub).export({ format: 'pem', type: 'spki' }).toString();
}

export function decodePublicKeyPem(text: string): Uint8Array {
  requireLabel(text, 'PUBLIC KEY', 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new FirmwareKeyError('badPem', `public key: the PEM does not decode: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new FirmwareKeyError('wrongKeyType', `public key: an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  return rawPublicOf(key);
}
