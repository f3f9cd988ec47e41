/**
 * Firmware upgrades of a simulated appliance over its console (a real PTY opened by serialport):
 * a good image runs confirmed; refused images change nothing; images that crash or fail their
 * self-test revert by themselves; an interrupted upload resumes; rollback goes back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../../drivers/driver.js';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { UpgradeError, upgradeAppliance } from '../../src/upgrade/upgrade.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload, type SigningKey, type SimulatedBehaviour } from '../../src/protocol/image/image.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { fulcrumAsync } from '../support/cli.js';

const key = generateSigningKey();
const foreign = generateSigningKey();

function image(version: string, options: { counter?: number; simulate?: SimulatedBehaviour[]; size?: number; signedBy?: SigningKey } = {}): Uint8Array {
  return buildImage(
    {
      version: parseVersion(version),
      securityCounter: options.counter ?? 1,
      payload: simulatorPayload({ simulate: options.simulate ?? [], size: options.size ?? 48 * 1024 }),
    },
    options.signedBy ?? key,
  );
}

describe('firmware upgrade over the serial console', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-fw-'));
  let sim: SimulatedAppliance;
  let driver: SerialDriver;
  const target = () => `serial:${sim.line!.path}?baud=921600`;
  const connect = async () => (driver = await SerialDriver.connect(target()));

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'fw1',
      stateDir: path.join(dir, 'state'),
      listen: false,
      trustKeys: [key.publicKey],
      serial: { baud: 921_600 },
    });
    await connect();
  });
  afterAll(async () => {
    await driver?.close();
    await sim?.stop();
  });

  it('a new appliance runs the factory image 1.0.0, confirmed, from slot A', async () => {
    const s = await driver.firmwareStatus();
    expect(s.active).toEqual({ slot: 'A', version: '1.0.0', confirmed: true });
    expect(s.slots.find((x) => x.slot === 'B')?.state).toBe('empty');
  });

  it('refuses a foreign key, a flipped bit and a truncated image before activation; 1.0.0 keeps running', async () => {
    const foreignImage = image('2.0.0', { signedBy: foreign });
    await expect(driver.uploadFirmware(foreignImage)).rejects.toMatchObject({
      code: 'refused',
      remote: 'imageRejected',
      message: expect.stringContaining('untrustedKey'),
    });
    const flipped = image('2.0.0');
    flipped[2_000]! ^= 0x10;
    await expect(driver.uploadFirmware(flipped)).rejects.toMatchObject({ remote: 'imageRejected', message: expect.stringContaining('badHash') });
    const truncated = image('2.0.0').subarray(0, 30_000);
    await expect(driver.uploadFirmware(truncated)).rejects.toMatchObject({ remote: 'imageRejected' });
    await expect(driver.activateFirmware()).rejects.toMatchObject({ remote: 'firmwareState' });
    expect((await driver.firmwareStatus()).active).toEqual({ slot: 'A', version: '1.0.0', confirmed: true });
    expect(sim.appliance.identity.firmware).toBe('1.0.0');
  });

  it('the CLI refuses a flipped image before sending anything (exit 3), and a foreign one at the appliance (exit 5)', async () => {
    const flipped = image('2.0.0');
    flipped[100]! ^= 1;
    writeFileSync(path.join(dir, 'flipped.fwi'), flipped);
    writeFileSync(path.join(dir, 'foreign.fwi'), image('2.0.0', { signedBy: foreign }));
    await driver.close(); // the console is opened exclusively
    const bad = await fulcrumAsync(['firmware', 'upgrade', path.join(dir, 'flipped.fwi'), '--to', target()]);
    expect(bad.code).toBe(3);
    const refused = await fulcrumAsync(['firmware', 'upgrade', path.join(dir, 'foreign.fwi'), '--to', target()]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('untrustedKey');
    await connect();
  });

  it('an upload cut off half way resumes where the appliance got to', async () => {
    const img = image('2.0.0', { counter: 0, size: 200 * 1024 });
    const cut: { closed?: Promise<void> } = {};
    const partial = driver.uploadFirmware(img, {
      onProgress: (sent) => {
        if (cut.closed === undefined && sent > 60_000) cut.closed = driver.close();
      },
    });
    await expect(partial).rejects.toBeInstanceOf(DriverError);
    // The upload fails as the close begins; the line is free (its lock let go) only once the close is done.
    await cut.closed;
    await connect();
    const r = await driver.uploadFirmware(img);
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(r.resumedFrom + r.bytesSent).toBe(img.length);
    expect(r.version).toBe('2.0.0');
  });

  it('`fulcrum firmware upgrade --json` boots 2.0.0 on trial; it confirms itself and stays across a reboot', async () => {
    writeFileSync(path.join(dir, 'v2.fwi'), image('2.0.0', { counter: 0, size: 200 * 1024 }));
    await driver.close();
    const r = await fulcrumAsync(['firmware', 'upgrade', path.join(dir, 'v2.fwi'), '--to', target(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ version: '2.0.0', confirmed: true });
    expect(out.bytes).toBe(0); // the resumed upload above left it complete and verified
    expect(sim.appliance.identity.firmware).toBe('2.0.0');
    const status = await fulcrumAsync(['firmware', 'status', '--to', target(), '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ active: { slot: 'B', version: '2.0.0', confirmed: true }, minSecurityCounter: 0 });
    await connect();
    await driver.rebootAndWait(30_000);
    expect((await driver.firmwareStatus()).active).toEqual({ slot: 'B', version: '2.0.0', confirmed: true });
  });

  it('`fulcrum firmware rollback` reboots into the previous confirmed image', async () => {
    await driver.close();
    const r = await fulcrumAsync(['firmware', 'rollback', '--to', target(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '1.0.0', slot: 'A' });
    await connect();
    expect(sim.appliance.identity.firmware).toBe('1.0.0');
  });

  it('3.0.0 with a higher security counter: confirmed, and the anti-rollback minimum follows it', async () => {
    const r = await upgradeAppliance(driver, image('3.0.0', { counter: 5 }));
    expect(r).toMatchObject({ version: '3.0.0', confirmed: true });
    const s = await driver.firmwareStatus();
    expect(s.active).toEqual({ slot: 'B', version: '3.0.0', confirmed: true });
    expect(s.minSecurityCounter).toBe(5);
  });

  it('refuses an image whose security counter is below the one running', async () => {
    await expect(driver.uploadFirmware(image('4.0.0', { counter: 3 }))).rejects.toMatchObject({
      remote: 'imageRejected',
      message: expect.stringContaining('securityCounter'),
    });
    expect((await driver.firmwareStatus()).active.version).toBe('3.0.0');
  });

  it('an image that crashes on boot, and one that fails its self-test, revert by themselves', async () => {
    for (const behaviour of ['crash-on-boot', 'fails-health'] as const) {
      const err = await upgradeAppliance(driver, image('4.0.0', { counter: 6, simulate: [behaviour] })).catch((e: unknown) => e);
      expect(err, behaviour).toBeInstanceOf(UpgradeError);
      expect((err as UpgradeError).code, behaviour).toBe('reverted');
      await sim.settled();
      const s = await driver.firmwareStatus();
      expect(s.active, behaviour).toEqual({ slot: 'B', version: '3.0.0', confirmed: true });
      expect(s.minSecurityCounter).toBe(5);
    }
  });
});
