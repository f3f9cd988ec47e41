/**
 * Network upgrades over SNMP: the agent serves the image over HTTP, a SET of (URL, SHA-256,
 * download) makes the simulated appliance fetch it, the progress is read from the MIB, and
 * activate + reboot through fulcrumFwAction boot it on trial until it confirms itself.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { startImageServer, type ImageServer } from '../../src/upgrade/image-server.js';
import { upgradeAppliance } from '../../src/upgrade/upgrade.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { fulcrumAsync } from '../support/cli.js';
import { MIB_ARGS, has, run } from '../support/debian-snmp.js';

const key = generateSigningKey();
const image = (version: string, counter = 1, signedBy = key) =>
  buildImage({ version: parseVersion(version), securityCounter: counter, payload: simulatorPayload({ simulate: [], size: 300 * 1024 }) }, signedBy);

describe('firmware upgrade over SNMP (the appliance pulls the image over HTTP)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-fw-snmp-'));
  let sim: SimulatedAppliance;
  let server: ImageServer;
  let driver: SnmpDriver;
  let target: string;

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'net1',
      stateDir: path.join(dir, 'state'),
      listen: false,
      trustKeys: [key.publicKey],
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
    });
    target = `snmp://${sim.readyInfo().snmp}`;
    server = await startImageServer();
    driver = SnmpDriver.connect(target, { version: '2c', community: 'private' });
  });
  afterAll(async () => {
    await driver?.close();
    await server?.close();
    await sim?.stop();
  });

  it('a foreign image is fetched, refused, and the reason is readable; the old image keeps running', async () => {
    const foreign = image('2.0.0', 1, generateSigningKey());
    await expect(driver.uploadFirmware(foreign, { url: server.add(foreign) })).rejects.toMatchObject({
      remote: 'imageRejected',
      message: expect.stringContaining('untrustedKey'),
    });
    expect((await driver.firmwareStatus()).active).toEqual({ slot: 'A', version: '1.0.0', confirmed: true });
    // A step the slots do not allow is refused with the reason.
    await expect(driver.activateFirmware()).rejects.toMatchObject({ remote: 'firmwareState' });
  });

  it('download, activate, reboot: 2.0.0 runs confirmed, and the MIB showed the bytes arriving', async () => {
    const img = image('2.0.0');
    const seen: number[] = [];
    const r = await upgradeAppliance(driver, img, { imageUrl: server.add(img), onProgress: (held) => seen.push(held) });
    expect(r).toMatchObject({ version: '2.0.0', confirmed: true, bytes: img.length });
    expect(seen.at(-1)).toBe(img.length);
    expect(sim.appliance.identity.firmware).toBe('2.0.0');
    expect((await driver.firmwareStatus()).active).toEqual({ slot: 'B', version: '2.0.0', confirmed: true });
  });

  it.skipIf(!has('snmpget'))('snmpget names the firmware objects and reads the finished download', async () => {
    const r = await run('snmpget', [
      '-v2c',
      '-c',
      'public',
      ...MIB_ARGS,
      target.slice('snmp://'.length),
      'fulcrumFwActiveSlot.0',
      'fulcrumFwDownloadStatus.0',
      'fulcrumFwActiveConfirmed.0',
    ]);
    expect(r.stdout).toContain('fulcrumFwActiveSlot.0 = INTEGER: slotB(2)');
    expect(r.stdout).toContain('fulcrumFwActiveConfirmed.0 = INTEGER: true(1)');
  });

  it('`fulcrum firmware upgrade --to snmp://…` serves the image itself and upgrades to 3.0.0', async () => {
    writeFileSync(path.join(dir, 'v3.fwi'), image('3.0.0', 2));
    const r = await fulcrumAsync(['firmware', 'upgrade', path.join(dir, 'v3.fwi'), '--to', target, '--community', 'private', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '3.0.0', confirmed: true });
    expect(sim.appliance.identity.firmware).toBe('3.0.0');
  });
});
