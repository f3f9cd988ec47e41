import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FirmwareImageError, formatVersion, verifyImage } from '../../../../src/protocol/image/image.js';
import { Bootloader } from '../../../../firmware/boot/index.js';
import { FileFlash, FLASH_FILE } from '../../../../sim/flash/file-flash.js';
import { DEFAULT_FIRMWARE_VERSION, buildFactoryImage, factoryTrustedKey, simulatorTrustedKeys } from '../../../../sim/flash/factory-image.js';
import { simFlash } from '../../../../sim/flash/geometry.js';
import { VENDOR_KEY, image, specOf } from '../../firmware/boot/support.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the simulator factory image', () => {
  it('is signed by the factory key, security counter 0, the same bytes for the same version', () => {
    const bytes = buildFactoryImage();
    const parsed = verifyImage(bytes, [factoryTrustedKey()]);
    expect(formatVersion(parsed.header.version)).toBe(DEFAULT_FIRMWARE_VERSION);
    expect(parsed.header.securityCounter).toBe(0);
    expect(buildFactoryImage('1.0.0')).toEqual(bytes);
    expect(formatVersion(verifyImage(buildFactoryImage('4.5.6+7'), [factoryTrustedKey()]).header.version)).toBe('4.5.6+7');
    expect(() => buildFactoryImage('v1')).toThrow(FirmwareImageError);
  });

  it('the simulator trusts the factory key and the --trust-key keys, nothing else', () => {
    const keys = simulatorTrustedKeys([VENDOR_KEY.publicKey]);
    expect(keys).toHaveLength(2);
    expect(verifyImage(image('2.0.0'), keys).size).toBeGreaterThan(0);
    expect(() => verifyImage(image('2.0.0'), simulatorTrustedKeys())).toThrow(/not trusted/);
  });
});

describe("a simulated appliance's flash file", () => {
  it('boots the factory image, takes an upgrade and keeps it across restarts of the simulator', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-state-'));
    dirs.push(dir);
    const { geometry, layout } = simFlash(64 * 4096);
    const options = { trustedKeys: simulatorTrustedKeys([VENDOR_KEY.publicKey]), factoryImage: buildFactoryImage('1.0.0') };
    const start = async () => {
      const flash = await FileFlash.open(path.join(dir, FLASH_FILE), geometry);
      const bootloader = await Bootloader.open(flash, layout, options);
      return { flash, bootloader, result: await bootloader.boot() };
    };

    const first = await start();
    expect(first.result).toMatchObject({ slot: 'A', version: '1.0.0', events: [{ kind: 'factoryInstall' }] });
    const v2 = image('2.0.0');
    const installer = first.bootloader.installer();
    await installer.begin(specOf(v2));
    await installer.write(0, v2.subarray(0, 20_000));
    await first.flash.close();

    const second = await start();
    expect(second.result).toMatchObject({ slot: 'A', version: '1.0.0', events: [] });
    const resumed = second.bootloader.installer();
    const { resumeOffset } = await resumed.begin(specOf(v2));
    expect(resumeOffset).toBe(16_384);
    await resumed.write(resumeOffset, v2.subarray(resumeOffset));
    await resumed.finish();
    await second.bootloader.activate();
    await second.flash.close();

    const third = await start();
    expect(third.result).toMatchObject({ slot: 'B', version: '2.0.0', trial: true });
    await third.bootloader.markRunning();
    await third.bootloader.confirm();
    const wear = await third.flash.wear();
    await third.flash.close();

    const fourth = await start();
    expect(fourth.result).toMatchObject({ slot: 'B', version: '2.0.0', trial: false, events: [] });
    expect(await fourth.flash.wear()).toEqual(wear);
    expect(wear[layout.bootState[0]]! + wear[layout.bootState[1]]!).toBe(7);
    await fourth.flash.close();
  });
});
