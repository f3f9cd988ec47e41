/**
 * Node's built-in crypto behind the contract's CryptoPort, and the PEM files an operator keeps
 * keys in. Only hosts import this (the agent, the simulator, tests, benchmarks): the firmware
 * reaches cryptography through the port alone, so its bundle holds no `node:` module.
 */

import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { installCrypto, type CryptoPort } from '../crypto.js';
import { FirmwareKeyError } from '../image/errors.js';
import { checkRaw, ED25519_KEY_SIZE, signingKeyFromSeed, type SigningKey } from '../image/keys.js';

/**
 * node:crypto on first use: every entry point installs this port, but most commands (`--help`,
 * validation, reading the store) never hash or sign, and loading it is a good part of a start.
 */
let loaded: typeof import('node:crypto') | null = null;
const c = (): typeof import('node:crypto') => (loaded ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof text === 'string' ? text : '', 'base64url'));

// PKCS#8 DER of an Ed25519 private key, up to the 32-byte seed (RFC 8410 §7): Node imports a
// seed this way without needing the public half that JWK import asks for.
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

function privateKeyObject(seed: Uint8Array): KeyObject {
  checkRaw(seed, 'an Ed25519 private key (seed)');
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + ED25519_KEY_SIZE);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  return c().createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkRaw(publicKey, 'an Ed25519 public key');
  return c().createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
}

function rawPublicOf(key: KeyObject): Uint8Array {
  return fromB64url(key.export({ format: 'jwk' }).x);
}

export const nodeCrypto: CryptoPort = {
  sha256: (bytes) => new Uint8Array(c().createHash('sha256').update(bytes).digest()),
  hmacSha256: (key, message) => new Uint8Array(c().createHmac('sha256', key).update(message).digest()),
  ed25519Verify(publicKey, message, signature) {
    const key = publicKeyObject(publicKey);
    try {
      return c().verify(null, message, key, signature);
    } catch {
      // OpenSSL may refuse a malformed signature outright instead of returning false.
      return false;
    }
  },
  ed25519Sign: (seed, message) => new Uint8Array(c().sign(null, message, privateKeyObject(seed))),
  ed25519PublicKey: (seed) => rawPublicOf(c().createPublicKey(privateKeyObject(seed))),
  ed25519Seed: () => new Uint8Array(c().randomBytes(ED25519_KEY_SIZE)),
};

/** Installs Node's crypto as the contract's CryptoPort; idempotent. */
export function installNodeCrypto(): void {
  installCrypto(nodeCrypto);
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
  if (label === 'ENCRYPTED PRIVATE KEY')
    throw new FirmwareKeyError(
      'badPem',
      `${what}: the private key is encrypted; write it unencrypted (openssl pkey -in KEY -out PLAIN) and guard the file instead`,
    );
  throw new FirmwareKeyError('badPem', `${what}: found a PEM "${label}", expected "${wanted}"`);
}

export function encodePrivateKeyPem(k: SigningKey): string {
  const checked = signingKeyFromSeed(k.privateKey);
  if (!Buffer.from(checked.publicKey).equals(Buffer.from(k.publicKey))) {
    throw new FirmwareKeyError('badKey', "the signing key's public key does not belong to its private key");
  }
  return privateKeyObject(k.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function decodePrivateKeyPem(text: string): SigningKey {
  requireLabel(text, 'PRIVATE KEY', 'private key');
  let key: KeyObject;
  try {
    key = c().createPrivateKey({ key: text, format: 'pem' });
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
    key = c().createPublicKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new FirmwareKeyError('badPem', `public key: the PEM does not decode: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new FirmwareKeyError('wrongKeyType', `public key: an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  return rawPublicOf(key);
}
