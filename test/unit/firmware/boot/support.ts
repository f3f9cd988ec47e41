import { sha256 } from '../../../../src/protocol/digest.js';
import {
  buildImage,
  parseVersion,
  signingKeyFromSeed,
  simulatorPayload,
  trustedKeyOf,
  verifyImage,
  type SimulatedBehaviour,
  type SigningKey,
} from '../../../../src/protocol/image/image.js';
import { Bootloader, standardFlashSize, standardLayout, type BootResult, type FlashGeometry, type FlashPort } from '../../../../firmware/boot/index.js';
import { buildFactoryImage, factoryTrustedKey } from '../../../../sim/flash/factory-image.js';
import { MemoryFlash } from '../../../../sim/flash/memory-flash.js';

export const SLOT_SIZE = 256 * 1024;
export const GEOMETRY: FlashGeometry = { size: standardFlashSize(4096, SLOT_SIZE), sectorSize: 4096, writeSize: 16 };
export const LAYOUT = standardLayout(GEOMETRY, SLOT_SIZE);

/** The vendor key of these tests (trusted), and a stranger's (not trusted). */
export const VENDOR_KEY: SigningKey = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
export const FOREIGN_KEY: SigningKey = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
export const TRUSTED = [factoryTrustedKey(), trustedKeyOf(VENDOR_KEY.publicKey)];

export const FACTORY_IMAGE = buildFactoryImage('1.0.0');

export interface ImageOptions {
  securityCounter?: number;
  payloadSize?: number;
  simulate?: SimulatedBehaviour[];
  key?: SigningKey;
  /** The payload as is (no manifest). */
  payload?: Uint8Array;
}

export function image(version: string, o: ImageOptions = {}): Uint8Array {
  const payload = o.payload ?? simulatorPayload({ simulate: o.simulate ?? [], size: o.payloadSize ?? 40_000 });
  return buildImage({ version: parseVersion(version), securityCounter: o.securityCounter ?? 0, payload }, o.key ?? VENDOR_KEY);
}

export const specOf = (bytes: Uint8Array) => ({ size: bytes.length, sha256: sha256(bytes) });

export function powerOn(flash: FlashPort, trialAttempts?: number): Promise<Bootloader> {
  return Bootloader.open(flash, LAYOUT, { trustedKeys: TRUSTED, factoryImage: FACTORY_IMAGE, ...(trialAttempts ? { trialAttempts } : {}) });
}

/** A new box: blank flash, first boot (factory image into slot A). */
export async function newBox(): Promise<{ flash: MemoryFlash; bootloader: Bootloader; result: BootResult }> {
  const flash = new MemoryFlash(GEOMETRY);
  const bootloader = await powerOn(flash);
  const result = await bootloader.boot();
  return { flash, bootloader, result };
}

/** Uploads `bytes` from wherever the installer resumes, in `chunk`-byte writes, and finishes. */
export async function upload(bootloader: Bootloader, bytes: Uint8Array, chunk = 1000): Promise<{ resumeOffset: number }> {
  const installer = bootloader.installer();
  const { resumeOffset } = await installer.begin(specOf(bytes));
  for (let at = resumeOffset; at < bytes.length; at += chunk) await installer.write(at, bytes.subarray(at, at + chunk));
  await installer.finish();
  return { resumeOffset };
}

/** Reads a slot and verifies its image independently of the bootloader. */
export async function verifiedVersionIn(flash: FlashPort, slot: 'A' | 'B'): Promise<string> {
  const region = LAYOUT.slots[slot];
  const parsed = verifyImage(await flash.read(region.offset, region.size), TRUSTED);
  const { major, minor, patch } = parsed.header.version;
  return `${major}.${minor}.${patch}`;
}

/**
 * Boots the way the simulator host does: an image whose manifest says crash-on-boot dies before
 * it is up (the boot counts as an attempt, the box restarts); otherwise the firmware reports
 * itself running and confirms unless it fails its health check. Returns the boot that stayed up.
 */
export async function hostBoot(flash: FlashPort, maxBoots = 10): Promise<{ bootloader: Bootloader; result: BootResult; boots: number }> {
  for (let boots = 1; boots <= maxBoots; boots++) {
    const bootloader = await powerOn(flash);
    const result = await bootloader.boot();
    if (result.simulate.includes('crash-on-boot')) continue;
    await bootloader.markRunning();
    if (result.trial && !result.simulate.includes('fails-health')) await bootloader.confirm();
    return { bootloader, result, boots };
  }
  throw new Error(`still crashing after ${maxBoots} boots`);
}
