/**
 * Power cuts at every flash operation of an upgrade, as MCUboot's simulator does: whatever the
 * operation, the next power-on boots an image that verifies (the old or the new one, never
 * "no bootable image"), and carrying on from there ends with the new image confirmed.
 */
import { describe, expect, it } from 'vitest';
import type { Bootloader, BootResult, FlashPort } from '../../../../firmware/boot/index.js';
import { MemoryFlash } from '../../../../sim/flash/memory-flash.js';
import { PowerCutError, PowerCutFlash } from '../../../../sim/flash/power-cut-flash.js';
import { FACTORY_IMAGE, GEOMETRY, LAYOUT, TRUSTED, hostBoot, image, newBox, powerOn, upload, verifiedVersionIn } from './support.js';
import { verifyImage } from '../../../../src/protocol/image/image.js';

const CHUNK = 1000;
const SEEDS = [1, 2, 3];

interface Scenario {
  name: string;
  /** The flash before the upgrade, and what runs on it. */
  start: () => Promise<MemoryFlash>;
  from: string;
  to: Uint8Array;
  toVersion: string;
  /** The slot the new image goes to. */
  slot: 'A' | 'B';
}

/** The whole upgrade as the agent and the appliance drive it: upload, activate, reboot, health check, confirm. */
async function upgrade(flash: FlashPort, bytes: Uint8Array): Promise<void> {
  const running = await powerOn(flash);
  await running.boot();
  await upload(running, bytes, CHUNK);
  await running.activate();
  const trial = await powerOn(flash);
  await trial.boot();
  await trial.markRunning();
  await trial.confirm();
}

/** After a power-on that booted `result`: whatever is left to do to end on `version` confirmed. Returns the upload's resume offset, if it uploaded. */
async function carryOn(flash: FlashPort, bootloader: Bootloader, result: BootResult, bytes: Uint8Array, version: string): Promise<number | null> {
  let resumed: number | null = null;
  for (let step = 0; step < 4; step++) {
    const status = bootloader.status();
    if (result.version === version) {
      if (!status.active!.confirmed) {
        await bootloader.markRunning();
        await bootloader.confirm();
      }
      return resumed;
    }
    if (status.nextBoot === result.slot) {
      resumed ??= (await upload(bootloader, bytes, CHUNK)).resumeOffset;
      await bootloader.activate();
    }
    bootloader = await powerOn(flash);
    result = await bootloader.boot();
  }
  throw new Error(`did not reach ${version}: ${JSON.stringify(bootloader.status())}`);
}

const v2 = image('2.0.0', { securityCounter: 1, payloadSize: 40_000 });
const v3 = image('3.0.0', { securityCounter: 2, payloadSize: 30_000 });

const scenarios: Scenario[] = [
  { name: 'first upgrade (into a blank slot B)', start: async () => (await newBox()).flash, from: '1.0.0', to: v2, toVersion: '2.0.0', slot: 'B' },
  {
    name: 'second upgrade (erasing the old image in slot A)',
    start: async () => {
      const { flash } = await newBox();
      await upgrade(flash, v2);
      return flash;
    },
    from: '2.0.0',
    to: v3,
    toVersion: '3.0.0',
    slot: 'A',
  },
];

describe.each(scenarios)('a power cut at every flash operation: $name', (s) => {
  it('always boots a verified image, and the upgrade completes after power-on', async () => {
    const start = await s.start();
    const reference = new PowerCutFlash(start.clone());
    await upgrade(reference, s.to);
    const K = reference.operations;
    expect(K).toBeGreaterThan(40);
    const wear = await reference.inner.wear();

    const booted = { [s.from]: 0, [s.toVersion]: 0 };
    let resumedUploads = 0;
    let trials = 0;
    for (let cut = 0; cut < K; cut++) {
      for (const seed of SEEDS) {
        trials++;
        const flash = start.clone();
        const faulty = new PowerCutFlash(flash, { cutAt: cut, seed: cut * 100 + seed });
        const err = await upgrade(faulty, s.to).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `cut ${cut}`).toBeInstanceOf(PowerCutError);

        const bootloader = await powerOn(flash);
        const result = await bootloader.boot();
        expect([s.from, s.toVersion], `cut ${cut} seed ${seed}`).toContain(result.version);
        expect(await verifiedVersionIn(flash, result.slot)).toBe(result.version);
        booted[result.version]! += 1;

        const resumed = await carryOn(flash, bootloader, result, s.to, s.toVersion);
        if (resumed !== null && resumed > 0) resumedUploads++;
        const final = await powerOn(flash);
        expect(await final.boot(), `cut ${cut} seed ${seed}`).toMatchObject({ slot: s.slot, version: s.toVersion, trial: false, events: [] });
        expect(final.status().active).toEqual({ slot: s.slot, version: s.toVersion, confirmed: true });
      }
    }
    console.log(
      `${s.name}: K = ${K} flash operations, ${trials} power-cut trials; booted ${s.from} ${booted[s.from]}×, ${s.toVersion} ${booted[s.toVersion]}×; ${resumedUploads} uploads resumed past 0; max sector wear afterwards: ${Math.max(...wear)}`,
    );
    expect(booted[s.from]).toBeGreaterThan(0);
    expect(booted[s.toVersion]).toBeGreaterThan(0);
    expect(resumedUploads).toBeGreaterThan(10);
  });
});

describe('a power cut at every flash operation of the other steps', () => {
  it('first power-on (factory install): the next power-on still installs and boots the factory image', async () => {
    const reference = new PowerCutFlash(new MemoryFlash(GEOMETRY));
    await (await powerOn(reference)).boot();
    const K = reference.operations;
    expect(K).toBeGreaterThan(2);
    for (let cut = 0; cut < K; cut++) {
      for (const seed of SEEDS) {
        const flash = new MemoryFlash(GEOMETRY);
        await expect((await powerOn(new PowerCutFlash(flash, { cutAt: cut, seed }))).boot()).rejects.toBeInstanceOf(PowerCutError);
        expect(await (await powerOn(flash)).boot(), `cut ${cut}`).toMatchObject({ slot: 'A', version: '1.0.0', trial: false });
        expect(await verifiedVersionIn(flash, 'A')).toBe('1.0.0');
      }
    }
    expect(verifyImage(FACTORY_IMAGE, TRUSTED).size).toBe(FACTORY_IMAGE.length);
  });

  it('confirm: the box boots the old image or the new one confirmed, and ends on the new one', async () => {
    const { flash: start } = await newBox();
    const before = await powerOn(start);
    await before.boot();
    await upload(before, v2, CHUNK);
    await before.activate();

    const confirmWith = async (flash: FlashPort) => {
      const trial = await powerOn(flash);
      await trial.boot();
      await trial.markRunning();
      return { trial, ops: flash instanceof PowerCutFlash ? flash.operations : 0 };
    };
    const reference = start.clone();
    const counting = new PowerCutFlash(reference);
    const { trial, ops } = await confirmWith(counting);
    await trial.confirm();
    const K = counting.operations - ops;
    expect(K).toBe(2);

    const seen = new Set<string>();
    for (let cut = ops; cut < ops + K; cut++) {
      for (let seed = 1; seed <= 8; seed++) {
        const flash = start.clone();
        const faulty = new PowerCutFlash(flash, { cutAt: cut, seed });
        const { trial: t } = await confirmWith(faulty);
        await expect(t.confirm()).rejects.toBeInstanceOf(PowerCutError);
        const bootloader = await powerOn(flash);
        const result = await bootloader.boot();
        // Cut before the commit point: the trial was not confirmed, so it reverts (as a failed health check).
        seen.add(`${result.version}${result.trial ? ' trial' : ''}`);
        expect(['1.0.0', '2.0.0']).toContain(result.version);
        expect(result.trial).toBe(false);
        expect(await verifiedVersionIn(flash, result.slot)).toBe(result.version);
        await carryOn(flash, bootloader, result, v2, '2.0.0');
        expect(await (await powerOn(flash)).boot()).toMatchObject({ slot: 'B', version: '2.0.0', trial: false });
      }
    }
    expect(seen).toEqual(new Set(['1.0.0', '2.0.0']));
  });

  it('a revert (crash-on-boot exhausting its attempts): the box always ends on the old image, confirmed', async () => {
    const { flash: start } = await newBox();
    const before = await powerOn(start);
    await before.boot();
    await upload(before, image('3.0.0', { simulate: ['crash-on-boot'] }), CHUNK);
    await before.activate();

    const reference = new PowerCutFlash(start.clone());
    const clean = await hostBoot(reference);
    expect(clean.boots).toBe(4);
    const K = reference.operations;
    expect(K).toBe(8);

    for (let cut = 0; cut < K; cut++) {
      for (const seed of SEEDS) {
        const flash = start.clone();
        const err = await hostBoot(new PowerCutFlash(flash, { cutAt: cut, seed })).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `cut ${cut}`).toBeInstanceOf(PowerCutError);
        const { result, bootloader } = await hostBoot(flash);
        expect(result, `cut ${cut} seed ${seed}`).toMatchObject({ slot: 'A', version: '1.0.0', trial: false });
        expect(bootloader.status().slots[1]).toMatchObject({ state: 'invalid', problem: 'trial', version: '3.0.0' });
        expect(await verifiedVersionIn(flash, 'A')).toBe('1.0.0');
      }
    }
  });
});

// Guards the harness itself: a flash without cuts runs the upgrade to the end.
it('the upgrade without a power cut ends on 2.0.0 confirmed', async () => {
  const { flash } = await newBox();
  await upgrade(flash, v2);
  expect(await (await powerOn(flash)).boot()).toMatchObject({ slot: 'B', version: '2.0.0', trial: false });
  expect(LAYOUT.slots.B.size).toBe(256 * 1024);
});
