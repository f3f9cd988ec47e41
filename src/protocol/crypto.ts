/**
 * The cryptography the contract needs — SHA-256, HMAC-SHA256 and Ed25519 — as a port, so that the firmware
 * carries no crypto library of its own: a box supplies its hardware engine or its vendor library,
 * the agent and the simulator supply Node's (src/protocol/host/node-crypto.ts). The host installs
 * its implementation once, before anything hashes; using the contract without one is a
 * programming error and says so.
 */

export interface CryptoPort {
  sha256(bytes: Uint8Array): Uint8Array;
  /** HMAC-SHA256 (RFC 2104) of `message` under `key`: 32 bytes (failover heartbeats). */
  hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array;
  /** Whether `signature` is publicKey's Ed25519 signature of `message`; false (never a throw) for a bad one. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** The Ed25519 signature of `message` by the 32-byte seed (only a signing host needs this). */
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** The 32-byte public key of a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** A fresh random 32-byte seed. */
  ed25519Seed(): Uint8Array;
}

let installed: CryptoPort | null = null;

/** Installs the host's implementation; installing the same one again is harmless. */
export function installCrypto(port: CryptoPort): void {
  installed = port;
}

export function cryptoPort(): CryptoPort {
  if (installed === null) throw new Error('no CryptoPort installed: the host must call installCrypto() (Node: installNodeCrypto()) before hashing');
  return installed;
}
