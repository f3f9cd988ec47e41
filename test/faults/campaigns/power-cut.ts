/**
 * Power cuts during firmware upgrades on the simulator's flash (sim/flash PowerCutFlash under the
 * A/B bootloader), as MCUboot's simulator does them, with random image sizes, upload chunk
 * sizes, cut points and torn-write patterns: each trial picks a scenario, counts its flash
 * operations on a clean run, cuts the power at a random one, powers on, and may cut again while
 * carrying on. After every cut the box must boot an image that verifies, the old or the new one
 * (never "no bootable image": a brick), and carrying on must end on the new image, confirmed.
 */

import type { Bootloader, BootResult, FlashPort } from '../../../firmware/boot/index.js';
import { MemoryFlash } from '../../../sim/flash/memory-flash.js';
import { PowerCutError, PowerCutFlash } from '../../../sim/flash/power-cut-flash.js';
import { GEOMETRY, image, newBox, powerOn, upload, verifiedVersionIn } from '../../unit/firmware/boot/support.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';
import type { Rng } from '../rng.js';

interface Scenario {
  name: 'first upgrade' | 'second upgrade' | 'factory install';
  start: () => Promise<MemoryFlash>;
  from: string | null;
  to: string;
  /** Runs the operation under test from `flash`'s state to its end. */
  work: (flash: FlashPort) => Promise<void>;
  /** After a power-on that booted `result`: whatever is left to reach `to`, confirmed. */
  carryOn: (flash: FlashPort, bootloader: Bootloader, result: BootResult) => Promise<void>;
}

/** The whole upgrade as the agent and the appliance drive it: upload, activate, reboot, health check, confirm. */
async function upgrade(flash: FlashPort, bytes: Uint8Array, chunk: number): Promise<void> {
  const running = await powerOn(flash);
  await running.boot();
  await upload(running, bytes, chunk);
  await running.activate();
  const trial = await powerOn(flash);
  await trial.boot();
  await trial.markRunning();
  await trial.confirm();
}

/** Upload (resuming) and activate while the old image runs; reboot; confirm the new one once it runs. */
async function finishUpgrade(flash: FlashPort, bootloader: Bootloader, result: BootResult, bytes: Uint8Array, chunk: number, version: string): Promise<void> {
  for (let step = 0; step < 6; step++) {
    if (result.version === version) {
      if (!bootloader.status().active!.confirmed) {
        await bootloader.markRunning();
        await bootloader.confirm();
      }
      return;
    }
    if (bootloader.status().nextBoot === result.slot) {
      await upload(bootloader, bytes, chunk);
      await bootloader.activate();
    }
    bootloader = await powerOn(flash);
    result = await bootloader.boot();
  }
  throw new Error(`did not reach ${version}: ${JSON.stringify(bootloader.status())}`);
}

function scenario(rng: Rng): Scenario {
  const name = rng.pick(['first upgrade', 'first upgrade', 'second upgrade', 'second upgrade', 'factory install'] as const);
  // Images from 1 KB to most of the 256 KiB test slot, uploaded in chunks of any size.
  const size = rng.chance(0.5) ? rng.int(1_000, 20_000) : rng.int(20_000, 250_000);
  const chunk = rng.pick([256, 512, 1000, 1024, 4096, rng.int(16, 8_192)]);
  if (name === 'factory install') {
    return {
      name,
      start: async () => new MemoryFlash(GEOMETRY),
      from: null,
      to: '1.0.0',
      work: async (flash) => void (await (await powerOn(flash)).boot()),
      carryOn: async () => {},
    };
  }
  const v2 = image('2.0.0', { securityCounter: 1, payloadSize: name === 'first upgrade' ? size : rng.int(1_000, 250_000) });
  if (name === 'first upgrade') {
    return {
      name,
      start: async () => (await newBox()).flash,
      from: '1.0.0',
      to: '2.0.0',
      work: (flash) => upgrade(flash, v2, chunk),
      carryOn: (flash, b, r) => finishUpgrade(flash, b, r, v2, chunk, '2.0.0'),
    };
  }
  const v3 = image('3.0.0', { securityCounter: rng.int(1, 3), payloadSize: size });
  return {
    name,
    start: async () => {
      const { flash } = await newBox();
      await upgrade(flash, v2, 4096);
      return flash;
    },
    from: '2.0.0',
    to: '3.0.0',
    work: (flash) => upgrade(flash, v3, chunk),
    carryOn: (flash, b, r) => finishUpgrade(flash, b, r, v3, chunk, '3.0.0'),
  };
}

/** Powers on after a cut and checks the box is not a brick: it boots a verified image, the old or the new one. */
async function powerOnAfterCut(flash: FlashPort, s: Scenario, where: string): Promise<{ bootloader: Bootloader; result: BootResult }> {
  const bootloader = await powerOn(flash);
  let result: BootResult;
  try {
    result = await bootloader.boot();
  } catch (err) {
    throw new Error(`BRICK: ${s.name}, ${where}: the box does not boot (${(err as Error).message})`);
  }
  const allowed = [s.from, s.to].filter((v) => v !== null);
  ensure(allowed.includes(result.version), () => `${s.name}, ${where}: booted ${result.version}, expected one of ${allowed.join(', ')}`);
  ensure(
    (await verifiedVersionIn(flash, result.slot)) === result.version,
    () => `${s.name}, ${where}: slot ${result.slot} does not verify as ${result.version}`,
  );
  return { bootloader, result };
}

export function powerCutCampaign(trials: { full: number; short: number }): Campaign {
  return {
    kind: 'power-cut',
    about: 'a power cut at a random flash operation of an upgrade (or factory install), sometimes a second one while carrying on: 0 bricks',
    trials,
    trialTimeoutMs: 60_000,
    async run({ rng }: TrialContext): Promise<Notes> {
      const s = scenario(rng);
      const start = await s.start();

      const reference = new PowerCutFlash(start.clone());
      await s.work(reference);
      const operations = reference.operations;

      const flash = start.clone();
      const cut = rng.int(0, operations - 1);
      const err = await s.work(new PowerCutFlash(flash, { cutAt: cut, seed: rng.seed() })).then(
        () => null,
        (e: unknown) => e,
      );
      ensure(err instanceof PowerCutError, () => `${s.name}: cut at operation ${cut} of ${operations} did not happen (${String(err)})`);
      let { bootloader, result } = await powerOnAfterCut(flash, s, `cut at operation ${cut} of ${operations}`);
      const notes: Notes = { [`booted ${result.version === s.to ? 'new' : 'old'}`]: 1 };

      // Sometimes the power goes again while carrying on (at some operation, if it gets that far).
      let cuts = 1;
      if (rng.chance(0.4)) {
        const again = new PowerCutFlash(flash, { cutAt: rng.int(0, operations), seed: rng.seed() });
        const second = await powerOn(again)
          .then(async (b) => s.carryOn(again, b, await b.boot()))
          .then(
            () => null,
            (e: unknown) => e,
          );
        if (second instanceof PowerCutError) {
          cuts = 2;
          ({ bootloader, result } = await powerOnAfterCut(flash, s, `second cut while carrying on`));
        } else if (second !== null) throw second;
        else ({ bootloader, result } = await powerOnAfterCut(flash, s, 'after carrying on'));
      }
      await s.carryOn(flash, bootloader, result);

      const final = await powerOn(flash);
      const end = await final.boot();
      ensure(end.version === s.to && !end.trial, () => `${s.name}: ended on ${end.version}${end.trial ? ' (trial)' : ''}, not ${s.to} confirmed`);
      ensure(final.status().active?.confirmed === true, () => `${s.name}: ${s.to} runs but is not confirmed`);
      notes[s.name] = 1;
      if (cuts === 2) notes['two cuts'] = 1;
      return notes;
    },
  };
}
