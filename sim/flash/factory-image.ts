/**
 * The simulator's factory image: what slot A of a new simulated appliance holds.
 *
 * It is signed with the FACTORY KEY, derived from a published constant seed. Every simulator
 * trusts it (in addition to the keys given with --trust-key), and anyone can sign with it: it
 * stands for the vendor key of a real box only so a simulated box can boot out of the box. It
 * is for tests and demos, never for anything a real appliance should trust.
 */

import {
  parseVersion,
  buildImage,
  signingKeyFromSeed,
  simulatorPayload,
  trustedKeyOf,
  type SigningKey,
  type TrustedKey,
} from '../../src/protocol/image/image.js';

/** 32 bytes: the Ed25519 seed of the factory key. Public on purpose (see above). */
export const FACTORY_KEY_SEED: Uint8Array = new TextEncoder().encode('fulcrum-simulator-factory-key-01');
/** The --firmware-version default: the version of the factory image. */
export const DEFAULT_FIRMWARE_VERSION = '1.0.0';
/** Bytes of the factory image's payload (filler: the simulator runs the firmware in this process, not the payload). */
export const FACTORY_PAYLOAD_SIZE = 1024;

let factoryKey: SigningKey | null = null;

export function factorySigningKey(): SigningKey {
  factoryKey ??= signingKeyFromSeed(FACTORY_KEY_SEED);
  return { privateKey: factoryKey.privateKey.slice(), publicKey: factoryKey.publicKey.slice() };
}

export function factoryTrustedKey(): TrustedKey {
  return trustedKeyOf(factorySigningKey().publicKey);
}

/** The keys a simulator trusts: the factory key, then the --trust-key public keys (raw 32 bytes each). */
export function simulatorTrustedKeys(publicKeys: readonly Uint8Array[] = []): TrustedKey[] {
  return [factoryTrustedKey(), ...publicKeys.map((k) => trustedKeyOf(k))];
}

/**
 * A factory image of `version` (MAJOR.MINOR.PATCH[+BUILD]), security counter 0, the same bytes
 * for the same version. A malformed version → FirmwareImageError('badHeader').
 */
export function buildFactoryImage(version: string = DEFAULT_FIRMWARE_VERSION): Uint8Array {
  return buildImage(
    { version: parseVersion(version), securityCounter: 0, payload: simulatorPayload({ simulate: [], size: FACTORY_PAYLOAD_SIZE }) },
    factorySigningKey(),
  );
}
