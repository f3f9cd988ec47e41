import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../../src/protocol/digest.js';
import { BootError, Bootloader, type BootStatus } from '../../../../firmware/boot/index.js';
import { MemoryFlash } from '../../../../sim/flash/memory-flash.js';
import { PowerCutFlash } from '../../../../sim/flash/power-cut-flash.js';
import { FOREIGN_KEY, GEOMETRY, LAYOUT, TRUSTED, hostBoot, image, newBox, powerOn, specOf, upload, verifiedVersionIn } from './support.js';

async function bootError(p: Promise<unknown>): Promise<BootError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BootError);
  return err as BootError;
}

/** Flips one bit of the flash (damage behind the bootloader's back). */
async function flipBit(flash: MemoryFlash, offset: number): Promise<void> {
  const byte = await flash.read(offset, 1);
  byte[0]! ^= 0x10;
  await flash.overwrite(offset, byte);
}

/** A box upgraded to `version` (confirmed in slot B). */
async function upgraded(version = '2.0.0', securityCounter = 0) {
  const box = await newBox();
  await upload(box.bootloader, image(version, { securityCounter }));
  await box.bootloader.activate();
  const { bootloader, result } = await hostBoot(box.flash);
  return { flash: box.flash, bootloader, result };
}

const slotStates = (s: BootStatus) => s.slots.map((x) => `${x.slot}:${x.state}:${x.version ?? '-'}${x.problem ? `:${x.problem}` : ''}`);

describe('first power-on', () => {
  it('writes the factory image to slot A, confirmed, and boots it', async () => {
    const { bootloader, result, flash } = await newBox();
    expect(result).toMatchObject({
      slot: 'A',
      version: '1.0.0',
      trial: false,
      simulate: [],
      events: [{ kind: 'factoryInstall', slot: 'A', version: '1.0.0' }],
    });
    expect(await verifiedVersionIn(flash, 'A')).toBe('1.0.0');
    const status = bootloader.status();
    expect(status.active).toEqual({ slot: 'A', version: '1.0.0', confirmed: true });
    expect(slotStates(status)).toEqual(['A:confirmed:1.0.0', 'B:empty:-']);
    expect(status).toMatchObject({ minSecurityCounter: 0, attemptsLeft: 0, nextBoot: 'A', installTarget: 'B', installing: null });
  });

  it('later power-ons boot the confirmed slot without writing anything', async () => {
    const { flash } = await newBox();
    const counting = new PowerCutFlash(flash);
    const result = await (await powerOn(counting)).boot();
    expect(result).toMatchObject({ slot: 'A', version: '1.0.0', trial: false, events: [] });
    expect(counting.operations).toBe(0);
  });

  it('refuses a factory image that does not verify', async () => {
    const bl = await Bootloader.open(new MemoryFlash(GEOMETRY), LAYOUT, { trustedKeys: TRUSTED, factoryImage: image('1.0.0', { key: FOREIGN_KEY }) });
    const err = await bootError(bl.boot());
    expect(err.code).toBe('badFactoryImage');
    expect(err.imageCode).toBe('untrustedKey');
  });

  it('works only once per power-on, and nothing else works before it', async () => {
    const { flash, bootloader } = await newBox();
    expect((await bootError(bootloader.boot())).code).toBe('alreadyBooted');
    const fresh = await powerOn(flash);
    expect((await bootError(fresh.confirm())).code).toBe('notBooted');
    expect((await bootError(fresh.activate())).code).toBe('notBooted');
    expect(() => fresh.installer()).toThrow(BootError);
    expect(fresh.status().active).toBeNull();
  });
});

describe('an upgrade', () => {
  it('goes ready → pending → trial → confirmed, and raises the anti-rollback minimum', async () => {
    const box = await newBox();
    await upload(box.bootloader, image('2.0.0', { securityCounter: 0 }));
    expect(slotStates(box.bootloader.status())).toEqual(['A:confirmed:1.0.0', 'B:ready:2.0.0']);
    expect(await box.bootloader.activate()).toEqual({ slot: 'B', version: '2.0.0' });
    expect(await box.bootloader.activate()).toEqual({ slot: 'B', version: '2.0.0' });
    expect(box.bootloader.status()).toMatchObject({ attemptsLeft: 3, nextBoot: 'B', installTarget: null });
    expect(slotStates(box.bootloader.status())).toEqual(['A:confirmed:1.0.0', 'B:pending:2.0.0']);

    const trial = await powerOn(box.flash);
    expect(await trial.boot()).toMatchObject({ slot: 'B', version: '2.0.0', trial: true });
    expect(trial.status()).toMatchObject({ active: { slot: 'B', version: '2.0.0', confirmed: false }, attemptsLeft: 2 });
    expect(slotStates(trial.status())).toEqual(['A:confirmed:1.0.0', 'B:trial:2.0.0']);
    await trial.markRunning();
    expect(trial.status().attemptsLeft).toBe(0);
    expect(await trial.confirm()).toEqual({ slot: 'B', version: '2.0.0' });
    expect(await trial.confirm()).toEqual({ slot: 'B', version: '2.0.0' });
    const status = trial.status();
    expect(status).toMatchObject({ active: { slot: 'B', confirmed: true }, nextBoot: 'B', installTarget: 'A', minSecurityCounter: 0 });
    expect(slotStates(status)).toEqual(['A:ready:1.0.0', 'B:confirmed:2.0.0']);
    expect(status.slots[0]!.rollbackTarget).toBe(true);

    expect(await (await powerOn(box.flash)).boot()).toMatchObject({ slot: 'B', version: '2.0.0', trial: false, events: [] });
  });

  it('a confirmed security counter makes older images invalid and unbootable', async () => {
    const { bootloader } = await upgraded('2.0.0', 5);
    expect(bootloader.status().minSecurityCounter).toBe(5);
    expect(slotStates(bootloader.status())).toEqual(['A:invalid:1.0.0:securityCounter', 'B:confirmed:2.0.0']);
    const err = await bootError(bootloader.rollback());
    expect(err.code).toBe('noRollbackTarget');
  });
});

describe('refusals leave the running image and the boot decision alone', () => {
  const cases: { name: string; bytes: () => Promise<Uint8Array> | Uint8Array; prepare?: (b: Bootloader) => Promise<unknown>; code: string }[] = [
    { name: 'a foreign key', bytes: () => image('2.0.0', { key: FOREIGN_KEY }), code: 'untrustedKey' },
    {
      name: 'a flipped bit',
      bytes: () => {
        const bytes = image('2.0.0');
        bytes[5000]! ^= 0x01;
        return bytes;
      },
      code: 'badHash',
    },
    { name: 'a truncated image', bytes: () => image('2.0.0').subarray(0, 30_000), code: 'truncated' },
    {
      name: 'a lower security counter',
      bytes: () => image('3.0.0', { securityCounter: 4 }),
      code: 'securityCounter',
    },
  ];

  it.each(cases)('$name → imageRefused ($code)', async ({ bytes, code }) => {
    const { bootloader, flash } = code === 'securityCounter' ? await upgraded('2.0.0', 5) : await newBox();
    const before = bootloader.status();
    const err = await bootError(upload(bootloader, await bytes()));
    expect(err.code).toBe('imageRefused');
    expect(err.imageCode).toBe(code);
    const after = bootloader.status();
    const target = before.installTarget!;
    expect(after.active).toEqual(before.active);
    expect(after.nextBoot).toBe(before.nextBoot);
    expect(after.minSecurityCounter).toBe(before.minSecurityCounter);
    expect(after.slots.find((s) => s.slot === target)).toMatchObject({
      state: 'invalid',
      problem: code === 'securityCounter' ? 'securityCounter' : 'verification',
    });
    expect(after.slots.find((s) => s.slot !== target)).toEqual(before.slots.find((s) => s.slot !== target));
    expect((await bootError(bootloader.activate())).code).toBe('nothingToActivate');
    expect(await (await powerOn(flash)).boot()).toMatchObject({ slot: before.active!.slot, version: before.active!.version, trial: false });
  });

  it('bytes that do not hash to the announced SHA-256 → hashMismatch', async () => {
    const { bootloader } = await newBox();
    const bytes = image('2.0.0');
    const installer = bootloader.installer();
    await installer.begin({ size: bytes.length, sha256: sha256(image('2.0.1')) });
    await installer.write(0, bytes);
    const err = await bootError(installer.finish());
    expect(err.code).toBe('hashMismatch');
    expect(slotStates(bootloader.status())).toEqual(['A:confirmed:1.0.0', 'B:invalid:-:verification']);
    expect(bootloader.status().installing).toBeNull();
  });

  it('an image damaged in its slot after the upload is refused at activation', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('2.0.0'));
    await flipBit(flash, LAYOUT.slots.B.offset + 1000);
    const err = await bootError(bootloader.activate());
    expect(err).toMatchObject({ code: 'imageRefused', imageCode: 'badHash' });
    expect(bootloader.status()).toMatchObject({ nextBoot: 'A', attemptsLeft: 0 });
  });
});

describe('trials that fail', () => {
  it('crash-on-boot: every boot spends an attempt; when none is left the box reverts', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('3.0.0', { simulate: ['crash-on-boot'] }));
    await bootloader.activate();
    const attempts: number[] = [];
    for (let boot = 1; boot <= 3; boot++) {
      const bl = await powerOn(flash);
      const r = await bl.boot();
      expect(r).toMatchObject({ slot: 'B', trial: true, simulate: ['crash-on-boot'] });
      attempts.push(bl.status().attemptsLeft);
    }
    expect(attempts).toEqual([2, 1, 0]);
    const { result, bootloader: after, boots } = await hostBoot(flash);
    expect(boots).toBe(1);
    expect(result).toMatchObject({ slot: 'A', version: '1.0.0', trial: false, events: [{ kind: 'reverted', slot: 'B', version: '3.0.0', to: 'A' }] });
    expect(slotStates(after.status())).toEqual(['A:confirmed:1.0.0', 'B:invalid:3.0.0:trial']);
    expect((await bootError(after.activate())).code).toBe('nothingToActivate');
  });

  it('the host loop: a crash-on-boot image is tried 3 times, then the old image runs', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('3.0.0', { simulate: ['crash-on-boot'] }));
    await bootloader.activate();
    const { result, boots } = await hostBoot(flash);
    expect(boots).toBe(4);
    expect(result).toMatchObject({ slot: 'A', version: '1.0.0' });
  });

  it('fails-health: it comes up, never confirms, and the next boot reverts', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('3.0.0', { simulate: ['fails-health'] }));
    await bootloader.activate();
    const first = await hostBoot(flash);
    expect(first.result).toMatchObject({ slot: 'B', trial: true, simulate: ['fails-health'] });
    expect(first.bootloader.status()).toMatchObject({ active: { slot: 'B', confirmed: false }, attemptsLeft: 0, nextBoot: 'A' });
    const second = await hostBoot(flash);
    expect(second.result).toMatchObject({ slot: 'A', version: '1.0.0', trial: false, events: [{ kind: 'reverted', slot: 'B' }] });
  });

  it('slow-boot is only reported to the host', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('3.0.0', { simulate: ['slow-boot'] }));
    await bootloader.activate();
    const { result } = await hostBoot(flash);
    expect(result).toMatchObject({ slot: 'B', trial: true, simulate: ['slow-boot'] });
  });
});

describe('rollback', () => {
  it('after an upgrade: the previous image boots next, confirmed; and back again', async () => {
    const { bootloader, flash } = await upgraded();
    expect(await bootloader.rollback()).toEqual({ slot: 'A', version: '1.0.0' });
    expect(bootloader.status()).toMatchObject({ active: { slot: 'B', confirmed: false }, nextBoot: 'A', installTarget: null });
    expect((await bootError(bootloader.confirm())).code).toBe('nothingToConfirm');
    expect(() => bootloader.installer()).toThrow(/reboot first/);
    const a = await powerOn(flash);
    expect(await a.boot()).toMatchObject({ slot: 'A', version: '1.0.0', trial: false });
    expect(await a.rollback()).toEqual({ slot: 'B', version: '2.0.0' });
    expect(await (await powerOn(flash)).boot()).toMatchObject({ slot: 'B', version: '2.0.0', trial: false });
  });

  it('during a trial: cancels it; the trial image stays ready to activate again', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('2.0.0'));
    await bootloader.activate();
    const trial = await powerOn(flash);
    await trial.boot();
    expect(await trial.rollback()).toEqual({ slot: 'A', version: '1.0.0' });
    expect((await bootError(trial.confirm())).code).toBe('nothingToConfirm');
    expect(slotStates(trial.status())).toEqual(['A:confirmed:1.0.0', 'B:trial:2.0.0']);
    const back = await powerOn(flash);
    expect(await back.boot()).toMatchObject({ slot: 'A', trial: false, events: [] });
    expect(slotStates(back.status())).toEqual(['A:confirmed:1.0.0', 'B:ready:2.0.0']);
    expect(await back.activate()).toEqual({ slot: 'B', version: '2.0.0' });
  });

  it('before the trial boot: cancels the activation', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('2.0.0'));
    await bootloader.activate();
    expect(await bootloader.rollback()).toEqual({ slot: 'A', version: '1.0.0' });
    expect(await (await powerOn(flash)).boot()).toMatchObject({ slot: 'A', trial: false });
  });

  it('refuses when there is nothing confirmed to go back to', async () => {
    const { bootloader } = await newBox();
    expect((await bootError(bootloader.rollback())).message).toMatch(/slot B is empty/);
    await upload(bootloader, image('2.0.0'));
    expect((await bootError(bootloader.rollback())).message).toMatch(/slot B was never confirmed/);
  });
});

describe('damaged slots at boot', () => {
  it('a pending image that no longer verifies is refused and the confirmed one boots', async () => {
    const { bootloader, flash } = await newBox();
    await upload(bootloader, image('2.0.0'));
    await bootloader.activate();
    await flipBit(flash, LAYOUT.slots.B.offset + 200);
    const { result, bootloader: after } = await hostBoot(flash);
    expect(result).toMatchObject({ slot: 'A', trial: false, events: [{ kind: 'refused', slot: 'B', imageCode: 'badHash' }] });
    expect(slotStates(after.status())).toEqual(['A:confirmed:1.0.0', 'B:invalid:2.0.0:verification']);
  });

  it('a damaged confirmed image falls back to the other verified slot, which becomes confirmed', async () => {
    const { flash } = await upgraded();
    await flipBit(flash, LAYOUT.slots.B.offset + 3000);
    const bl = await powerOn(flash);
    const result = await bl.boot();
    expect(result).toMatchObject({ slot: 'A', version: '1.0.0', trial: false });
    expect(result.events).toEqual([expect.objectContaining({ kind: 'refused', slot: 'B', imageCode: 'badHash' }), { kind: 'fallback', from: 'B', to: 'A' }]);
    expect(slotStates(bl.status())).toEqual(['A:confirmed:1.0.0', 'B:invalid:2.0.0:verification']);
    expect(bl.status().installTarget).toBe('B');
  });

  it('neither slot verifies → noBootableImage', async () => {
    const { flash } = await upgraded();
    await flipBit(flash, LAYOUT.slots.A.offset + 100);
    await flipBit(flash, LAYOUT.slots.B.offset + 100);
    const err = await bootError((await powerOn(flash)).boot());
    expect(err.code).toBe('noBootableImage');
    expect(err.message).toMatch(/slot B \(confirmed\).*slot A/);
  });
});

describe('installers', () => {
  it('only the newest installer acts, and none while a trial is pending', async () => {
    const { bootloader } = await newBox();
    const bytes = image('2.0.0');
    const old = bootloader.installer();
    await old.begin(specOf(bytes));
    const newer = bootloader.installer();
    expect((await bootError(old.write(0, bytes.subarray(0, 100)))).code).toBe('noInstall');
    await newer.begin(specOf(bytes));
    await newer.write(0, bytes);
    await newer.finish();
    await bootloader.activate();
    expect((await bootError(newer.begin(specOf(bytes)))).code).toBe('noInstallTarget');
    expect(() => bootloader.installer()).toThrow(/activated for a trial/);
  });
});
