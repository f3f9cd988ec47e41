/**
 * Ed25519 keys for signing images. The arithmetic arrives through the CryptoPort
 * (src/protocol/crypto.ts); PEM files are the host's business (src/protocol/host/node-crypto.ts).
 *
 * Raw form: the 32-byte private seed and the 32-byte public key (RFC 8032). Files: standard
 * PEM, PKCS#8 for the private key ("PRIVATE KEY") and SubjectPublicKeyInfo for the public key
 * ("PUBLIC KEY"), so `openssl pkey -in signing.key -text` and `openssl pkey -pubin -in
 * signing.pub -text` read them. Encrypted private keys are refused: the signing host is meant
 * to guard the file (mode 0600), and a passphrase prompt would block unattended builds.
 */

import { cryptoPort } from '../crypto.js';
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

export function checkRaw(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ED25519_KEY_SIZE) {
    throw new FirmwareKeyError('badKey', `${what} must be ${ED25519_KEY_SIZE} raw bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  checkRaw(seed, 'an Ed25519 private key (seed)');
  return { privateKey: new Uint8Array(seed), publicKey: cryptoPort().ed25519PublicKey(seed) };
}

export function generateSigningKey(): SigningKey {
  return signingKeyFromSeed(cryptoPort().ed25519Seed());
}

/** First 8 bytes of SHA-256 of the raw public key: names the key in an image's trailer. */
export function keyIdOf(publicKey: Uint8Array): Uint8Array {
  checkRaw(publicKey, 'an Ed25519 public key');
  return sha256(publicKey).slice(0, KEY_ID_SIZE);
}

export function trustedKeyOf(publicKey: Uint8Array): TrustedKey {
  return { keyId: keyIdOf(publicKey), publicKey: new Uint8Array(publicKey) };
}

/** The Ed25519 signature of `message`. FirmwareKeyError('badKey') when the public half does not match the seed (it would sign under the wrong key id). */
export function signWith(key: SigningKey, message: Uint8Array): Uint8Array {
  checkRaw(key.publicKey, 'an Ed25519 public key');
  if (!sameBytes(signingKeyFromSeed(key.privateKey).publicKey, key.publicKey)) {
    throw new FirmwareKeyError('badKey', "the signing key's public key does not belong to its private key");
  }
  return cryptoPort().ed25519Sign(key.privateKey, message);
}

/** Whether `signature` is publicKey's Ed25519 signature of `message`; never throws for a bad signature. */
export function verifyWith(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkRaw(publicKey, 'an Ed25519 public key');
  return cryptoPort().ed25519Verify(publicKey, message, signature);
}
