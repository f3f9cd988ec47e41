import { describe, expect, it } from 'vitest';
import { BootError, type Installer } from '../../../../firmware/boot/index.js';
import { PowerCutError, PowerCutFlash } from '../../../../sim/flash/power-cut-flash.js';
import { LAYOUT, SLOT_SIZE, image, newBox, powerOn, specOf, upload, verifiedVersionIn } from './support.js';

const SECTOR = 4096;

async function bootError(p: Promise<unknown>): Promise<BootError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BootError);
  return err as BootError;
}

/** Sends bytes [from, to) in chunks of `chunk`. */
async function send(installer: Installer, bytes: Uint8Array, from: number, to: number, chunk: number) {
  for (let at = from; at < to; at += chunk) await installer.write(at, bytes.subarray(at, Math.min(at + chunk, to)));
}

describe('resuming an upload', () => {
  const bytes = image('2.0.0', { payloadSize: 50_000 });

  it('after a disconnect: a new installer over the same bootloader continues at a sector boundary', async () => {
    const { bootloader, flash } = await newBox();
    const first = bootloader.installer();
    expect(await first.begin(specOf(bytes))).toEqual({ resumeOffset: 0 });
    await send(first, bytes, 0, 23_500, 700);
    const again = bootloader.installer();
    const { resumeOffset } = await again.begin(specOf(bytes));
    expect(resumeOffset).toBeGreaterThan(0);
    expect(resumeOffset).toBeLessThanOrEqual(23_500);
    expect(resumeOffset % SECTOR).toBe(0);
    await send(again, bytes, resumeOffset, bytes.length, 700);
    expect((await again.finish()).header.version).toEqual({ major: 2, minor: 0, patch: 0, build: 0 });
    expect(await verifiedVersionIn(flash, 'B')).toBe('2.0.0');
  });

  it('after a reboot of the appliance: the new bootloader finds the upload in the boot state', async () => {
    const { bootloader, flash } = await newBox();
    const first = bootloader.installer();
    await first.begin(specOf(bytes));
    await send(first, bytes, 0, 30_000, 1024);
    expect(bootloader.status().installing).toEqual({ slot: 'B', size: bytes.length, sha256: specOf(bytes).sha256 });
    expect(bootloader.status().slots[1]!.state).toBe('writing');

    const rebooted = await powerOn(flash);
    await rebooted.boot();
    const installer = rebooted.installer();
    const { resumeOffset } = await installer.begin(specOf(bytes));
    expect(resumeOffset).toBe(28_672); // the seventh sector ends at 28,672: the last one complete
    await send(installer, bytes, resumeOffset, bytes.length, 1024);
    await installer.finish();
    expect(await verifiedVersionIn(flash, 'B')).toBe('2.0.0');
    expect(rebooted.status().installing).toBeNull();
  });

  it('trusts only sectors whose bytes still match their progress mark', async () => {
    const { bootloader, flash } = await newBox();
    const first = bootloader.installer();
    await first.begin(specOf(bytes));
    await send(first, bytes, 0, 30_000, 1024);
    // Damage sector 3 of slot B behind the installer's back.
    await flash.overwrite(LAYOUT.slots.B.offset + 3 * SECTOR + 100, Uint8Array.of(bytes[3 * SECTOR + 100]! ^ 0xff));
    const installer = bootloader.installer();
    const { resumeOffset } = await installer.begin(specOf(bytes));
    expect(resumeOffset).toBe(3 * SECTOR);
    await send(installer, bytes, resumeOffset, bytes.length, 1024);
    await installer.finish();
    expect(await verifiedVersionIn(flash, 'B')).toBe('2.0.0');
  });

  it('another image starts over, and the slot no longer holds the first one', async () => {
    const { bootloader, flash } = await newBox();
    const first = bootloader.installer();
    await first.begin(specOf(bytes));
    await send(first, bytes, 0, 20_000, 1000);
    const other = image('2.0.1', { payloadSize: 50_000 });
    const installer = bootloader.installer();
    expect(await installer.begin(specOf(other))).toEqual({ resumeOffset: 0 });
    expect(await flash.read(LAYOUT.slots.B.offset, 16)).toEqual(new Uint8Array(16).fill(0xff));
    await send(installer, other, 0, other.length, 4096);
    await installer.finish();
    expect(await verifiedVersionIn(flash, 'B')).toBe('2.0.1');
  });

  it('the image already in the slot: nothing to send', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, bytes);
    const counting = new PowerCutFlash(flash);
    const bl = await powerOn(counting);
    await bl.boot();
    const installer = bl.installer();
    expect(await installer.begin(specOf(bytes))).toEqual({ resumeOffset: bytes.length });
    await installer.finish();
    expect(counting.operations).toBe(0);
    expect(bl.status().slots[1]).toMatchObject({ state: 'ready', version: '2.0.0' });
  });

  it('after a power cut at any operation of an upload of an image full of 0xFF runs', async () => {
    // Runs of 0xFF look like erased flash: resuming must not take them for the end of what was written.
    const payload = new Uint8Array(20_000);
    for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(i / 512) % 2 === 0 ? 0xff : (i * 7) & 0xff;
    const ff = image('2.0.0', { payload });
    const { flash: start } = await newBox();
    const uploadOn = async (f: PowerCutFlash | typeof start) => {
      const bl = await powerOn(f);
      await bl.boot();
      return upload(bl, ff, 512);
    };
    const reference = new PowerCutFlash(start.clone());
    await uploadOn(reference);
    const K = reference.operations;
    const offsets = new Set<number>();
    for (let cut = 0; cut < K; cut++) {
      for (const seed of [1, 2]) {
        const flash = start.clone();
        await expect(uploadOn(new PowerCutFlash(flash, { cutAt: cut, seed }))).rejects.toBeInstanceOf(PowerCutError);
        offsets.add((await uploadOn(flash)).resumeOffset);
        expect(await verifiedVersionIn(flash, 'B'), `cut ${cut}`).toBe('2.0.0');
      }
    }
    expect(offsets.size).toBeGreaterThan(3);
  });
});

describe('what write() accepts', () => {
  const bytes = image('2.0.0', { payloadSize: 10_000 });

  it('bytes sent again are compared and skipped; odd chunk sizes are fine', async () => {
    const { bootloader, flash } = await newBox();
    const installer = bootloader.installer();
    await installer.begin(specOf(bytes));
    await send(installer, bytes, 0, 3001, 7);
    await installer.write(1000, bytes.subarray(1000, 5000)); // overlaps what was received, then goes on
    await installer.write(2995, bytes.subarray(2995, 3003)); // inside the unflushed tail
    await send(installer, bytes, 5000, bytes.length, 1001);
    await installer.write(0, bytes.subarray(0, 100));
    await installer.finish();
    expect(await verifiedVersionIn(flash, 'B')).toBe('2.0.0');
  });

  it('refuses different bytes for a range already received, and goes on after', async () => {
    const { bootloader } = await newBox();
    const installer = bootloader.installer();
    await installer.begin(specOf(bytes));
    await installer.write(0, bytes.subarray(0, 4000));
    const changed = bytes.slice(3000, 3500);
    changed[10]! ^= 1;
    expect((await bootError(installer.write(3000, changed))).code).toBe('mismatch');
    const tail = bytes.slice(3990, 4000);
    tail[9]! ^= 1;
    expect((await bootError(installer.write(3990, tail))).code).toBe('mismatch');
    await installer.write(4000, bytes.subarray(4000));
    await installer.finish();
  });

  it('refuses gaps, bytes past the end, an early finish and bad announcements', async () => {
    const { bootloader } = await newBox();
    const installer = bootloader.installer();
    expect((await bootError(installer.write(0, bytes.subarray(0, 10)))).code).toBe('noInstall');
    expect((await bootError(installer.begin({ size: 0, sha256: new Uint8Array(32) }))).code).toBe('badRequest');
    expect((await bootError(installer.begin({ size: SLOT_SIZE + 1, sha256: new Uint8Array(32) }))).code).toBe('badRequest');
    expect((await bootError(installer.begin({ size: 100, sha256: new Uint8Array(31) }))).code).toBe('badRequest');
    await installer.begin(specOf(bytes));
    await installer.write(0, bytes.subarray(0, 100));
    expect((await bootError(installer.write(200, bytes.subarray(200, 300)))).message).toMatch(/gap: 100 bytes were received/);
    expect((await bootError(installer.write(bytes.length - 10, new Uint8Array(20)))).code).toBe('badOffset');
    expect((await bootError(installer.finish())).message).toMatch(/100 of \d+ bytes/);
  });

  it('an image whose header declares fewer bytes than announced → sizeMismatch', async () => {
    const { bootloader } = await newBox();
    const padded = new Uint8Array(bytes.length + 32);
    padded.set(bytes);
    const err = await bootError(upload(bootloader, padded));
    expect(err.code).toBe('sizeMismatch');
    expect(bootloader.status().slots[1]).toMatchObject({ state: 'invalid' });
  });
});
