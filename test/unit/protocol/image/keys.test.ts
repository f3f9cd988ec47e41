import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FirmwareKeyError, generateSigningKey, keyIdOf, signingKeyFromSeed, trustedKeyOf, type KeyErrorCode } from '../../../../src/protocol/image/image.js';
import { decodePrivateKeyPem, decodePublicKeyPem, encodePrivateKeyPem, encodePublicKeyPem } from '../../../../src/protocol/host/node-crypto.js';
import { sha256 } from '../../../../src/protocol/digest.js';

function keyErrorCode(fn: () => unknown): KeyErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FirmwareKeyError);
    return (err as FirmwareKeyError).code;
  }
  throw new Error('expected a FirmwareKeyError');
}

describe('firmware signing keys', () => {
  it('derives the same key from the same seed, and the RFC 8032 test vector 1 public key', () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const key = signingKeyFromSeed(seed);
    expect(Buffer.from(key.publicKey).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(signingKeyFromSeed(seed)).toEqual(key);
  });

  it('generates distinct 32-byte pairs', () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    expect(a.privateKey.length).toBe(32);
    expect(a.publicKey.length).toBe(32);
    expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(false);
    expect(signingKeyFromSeed(a.privateKey).publicKey).toEqual(a.publicKey);
  });

  it('names a key by the first 8 bytes of the SHA-256 of its raw public key', () => {
    const key = generateSigningKey();
    expect(keyIdOf(key.publicKey)).toEqual(sha256(key.publicKey).slice(0, 8));
    expect(trustedKeyOf(key.publicKey)).toEqual({ keyId: keyIdOf(key.publicKey), publicKey: key.publicKey });
  });

  it('round-trips PEM, PKCS#8 and SPKI', () => {
    const key = generateSigningKey();
    const priv = encodePrivateKeyPem(key);
    const pub = encodePublicKeyPem(key.publicKey);
    expect(priv).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(decodePrivateKeyPem(priv)).toEqual(key);
    expect(decodePublicKeyPem(pub)).toEqual(key.publicKey);
  });

  it('writes files openssl reads as ED25519 keys', () => {
    if (spawnSync('openssl', ['version']).status !== 0) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-keys-'));
    const key = generateSigningKey();
    writeFileSync(path.join(dir, 'k'), encodePrivateKeyPem(key));
    writeFileSync(path.join(dir, 'p'), encodePublicKeyPem(key.publicKey));
    expect(execFileSync('openssl', ['pkey', '-in', path.join(dir, 'k'), '-noout', '-text'], { encoding: 'utf8' })).toContain('ED25519 Private-Key');
    expect(execFileSync('openssl', ['pkey', '-pubin', '-in', path.join(dir, 'p'), '-noout', '-text'], { encoding: 'utf8' })).toContain('ED25519 Public-Key');
  });

  it('refuses junk, the wrong PEM kind, encrypted and non-Ed25519 keys with typed errors', () => {
    const key = generateSigningKey();
    expect(keyErrorCode(() => decodePrivateKeyPem('hello'))).toBe('badPem');
    expect(keyErrorCode(() => decodePublicKeyPem(''))).toBe('badPem');
    expect(keyErrorCode(() => decodePrivateKeyPem(encodePublicKeyPem(key.publicKey)))).toBe('badPem');
    expect(keyErrorCode(() => decodePublicKeyPem(encodePrivateKeyPem(key)))).toBe('badPem');
    expect(keyErrorCode(() => decodePrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toBe('badPem');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(keyErrorCode(() => decodePrivateKeyPem(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()))).toBe('wrongKeyType');
    expect(keyErrorCode(() => decodePublicKeyPem(rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString()))).toBe('wrongKeyType');
    const ed = generateKeyPairSync('ed25519');
    const encrypted = ed.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    expect(() => decodePrivateKeyPem(encrypted)).toThrow('encrypted');
  });

  it('refuses raw keys of the wrong length, and a pair whose halves do not match', () => {
    expect(keyErrorCode(() => signingKeyFromSeed(new Uint8Array(31)))).toBe('badKey');
    expect(keyErrorCode(() => keyIdOf(new Uint8Array(33)))).toBe('badKey');
    const a = generateSigningKey();
    const b = generateSigningKey();
    expect(keyErrorCode(() => encodePrivateKeyPem({ privateKey: a.privateKey, publicKey: b.publicKey }))).toBe('badKey');
  });
});
