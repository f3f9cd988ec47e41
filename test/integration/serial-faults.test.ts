import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { createRandom } from '../../firmware/forwarding/flow/random.js';
import { configId, encodeRules } from '../../src/protocol/rules/index.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { bigRules } from '../../sim/fixtures/big-rules.js';
import { exited, fulcrumReady } from '../support/cli.js';

/**
 * The fault campaign: pushes under bit errors, lost bytes, the agent's port closed
 * mid-transfer and the appliance killed mid-commit. After every trial the appliance runs the
 * old config or the new one, nothing else, and a fresh look from the agent agrees with it.
 */

const tables: RuleTable[] = [bigRules(30), bigRules(31), bigRules(30, 3, (s) => (s % 7) + 1)];
const ids = tables.map((t) => configId(t));
const seedDir = () => mkdtempSync(path.join(tmpdir(), 'fulcrum-faults-'));

/** Connects, retrying: under noise the handshake itself may be hit. */
async function connect(target: string, reconnectForMs = 1_000): Promise<SerialDriver> {
  let last: unknown;
  for (let i = 0; i < 5; i++) {
    try {
      return await SerialDriver.connect(target, { reconnectForMs });
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

async function agentView(target: string): Promise<string> {
  const d = await connect(target);
  try {
    return (await d.info()).configId;
  } finally {
    await d.close();
  }
}

describe('fault campaign on the serial channel', () => {
  const sims: SimulatedAppliance[] = [];
  afterAll(async () => {
    for (const s of sims) await s.stop();
  });

  for (const [label, noise] of [
    ['bit errors at 1e-4', { noiseBer: 1e-4 }],
    ['lost bytes at 1e-3', { noiseDrop: 1e-3 }],
  ] as const) {
    it(`${label}: 8 pushes, each leaves the old or the new config and the agent agrees`, async () => {
      const sim = await SimulatedAppliance.start({ name: 'n', rules: tables[0]!, stateDir: seedDir(), listen: false, serial: { baud: 921_600, ...noise } });
      sims.push(sim);
      const target = `serial:${sim.line!.path}?baud=921600`;
      let succeeded = 0;
      for (let trial = 1; trial <= 8; trial++) {
        const before = sim.appliance.configId;
        const next = tables[trial % tables.length]!;
        try {
          const d = await connect(target);
          try {
            const r = await d.push(encodeRules(next), { confirmTimeoutMs: 0 });
            expect(r.configId).toBe(configId(next));
            succeeded++;
          } finally {
            await d.close();
          }
        } catch {
          // A push may fail outright on a bad line; what matters is what runs afterwards.
        }
        const running = sim.appliance.configId;
        expect([before, configId(next)]).toContain(running);
        expect(await agentView(target)).toBe(running);
      }
      // Retransmission makes a noisy line slow, not useless.
      expect(succeeded).toBeGreaterThanOrEqual(6);
    });
  }

  it('the agent port closed mid-transfer: old or new config, never a mix, and the agent agrees', async () => {
    const sim = await SimulatedAppliance.start({ name: 'c', rules: tables[0]!, stateDir: seedDir(), listen: false, serial: { baud: 115_200 } });
    sims.push(sim);
    const target = `serial:${sim.line!.path}`;
    const big = [bigRules(120), bigRules(121)];
    const random = createRandom(7);
    for (let trial = 0; trial < 5; trial++) {
      const before = sim.appliance.configId;
      const next = big[trial % 2]!;
      const d = await connect(target);
      const push = d.push(encodeRules(next), { confirmTimeoutMs: 0 }).then(
        () => 'done',
        () => 'failed',
      );
      // A full push of this table takes about 1.2 s at 115200 baud: close somewhere inside it.
      await new Promise((r) => setTimeout(r, 100 + random() * 1_200));
      await d.close();
      const outcome = await push;
      const running = sim.appliance.configId;
      expect([before, configId(next)]).toContain(running);
      if (outcome === 'done') expect(running).toBe(configId(next));
      expect(await agentView(target)).toBe(running);
    }
  });

  it('the appliance killed (SIGKILL) mid-push and restarted on its state: old or new config, and the agent agrees', async () => {
    const state = seedDir();
    const seedFile = path.join(state, 'seed.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(seedFile, JSON.stringify({ services: [{ name: 'seed', listen: '127.0.0.1:1', backends: [{ address: '127.0.0.1:2' }] }] }));
    const big = [bigRules(120), bigRules(121)];
    const random = createRandom(11);
    let sim = await fulcrumReady<{ configId: string; serial: string }>([
      'sim',
      'start',
      '--rules',
      seedFile,
      '--state',
      path.join(state, 'flash'),
      '--serial',
      '--no-listen',
      '--json',
    ]);
    try {
      for (let trial = 0; trial < 5; trial++) {
        const before = sim.ready.configId;
        const next = big[trial % 2]!;
        const d = await connect(`serial:${sim.ready.serial}`, 300);
        const push = d.push(encodeRules(next), { confirmTimeoutMs: 0 }).then(
          () => 'done',
          () => 'failed',
        );
        await new Promise((r) => setTimeout(r, 200 + random() * 1_200));
        sim.child.kill('SIGKILL');
        await exited(sim.child);
        const outcome = await push;
        await d.close();
        sim = await fulcrumReady(['sim', 'start', '--state', path.join(state, 'flash'), '--serial', '--no-listen', '--json']);
        const running = sim.ready.configId;
        expect([before, configId(next)]).toContain(running);
        if (outcome === 'done') expect(running).toBe(configId(next));
        expect(await agentView(`serial:${sim.ready.serial}`)).toBe(running);
      }
    } finally {
      sim.child.kill('SIGKILL');
    }
  });
});

void ids;

describe('reconnecting to a console that went away', () => {
  it('the agent reopens the device and carries on when the appliance comes back (stable device link)', async () => {
    const state = seedDir();
    const link = path.join(state, 'console');
    const seedFile = path.join(state, 'seed.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(seedFile, JSON.stringify({ services: [{ name: 'seed', listen: '127.0.0.1:1', backends: [{ address: '127.0.0.1:2' }] }] }));
    const args = ['sim', 'start', '--rules', seedFile, '--state', path.join(state, 'flash'), '--serial', '--serial-link', link, '--no-listen', '--json'];
    let sim = await fulcrumReady<{ configId: string; serial: string }>(args);
    const driver = await SerialDriver.connect(`serial:${link}`, { reconnectForMs: 10_000 });
    try {
      const before = await driver.info();
      sim.child.kill('SIGKILL');
      await exited(sim.child);
      // Ask while the device is gone: the request waits for the reconnect instead of failing.
      const asked = driver.info();
      await new Promise((r) => setTimeout(r, 300));
      sim = await fulcrumReady(args);
      const after = await asked;
      expect(after.configId).toBe(before.configId);
      expect(after.serialNumber).toBe(before.serialNumber);
      expect(after.uptimeSeconds).toBeLessThanOrEqual(before.uptimeSeconds + 1);
      // And a bulk read works on the new session too.
      expect((await driver.readRunning()).length).toBeGreaterThan(0);
    } finally {
      await driver.close();
      sim.child.kill('SIGKILL');
    }
  });
});

describe('a device path that leads to another appliance after a replug', () => {
  it('sends nothing again to the wrong appliance and says which one answered', async () => {
    const { linkDevice } = await import('../../sim/serial/device-link.js');
    const a = await SimulatedAppliance.start({ name: 'a', rules: tables[0]!, listen: false, serial: { baud: 921_600 } });
    const b = await SimulatedAppliance.start({ name: 'b', rules: tables[1]!, listen: false, serial: { baud: 921_600 } });
    const link = path.join(seedDir(), 'console');
    linkDevice(link, a.line!.path);
    const driver = await SerialDriver.connect(`serial:${link}?baud=921600`, { reconnectForMs: 1_500 });
    try {
      expect((await driver.info()).serialNumber).toBe(a.appliance.identity.serialNumber);
      // "Unplug" a; the path now leads to b.
      await a.stop();
      linkDevice(link, b.line!.path);
      const before = b.appliance.configId;
      await expect(driver.rollback(1)).rejects.toThrow(`a different appliance (serial number ${b.appliance.identity.serialNumber})`);
      expect(b.appliance.configId).toBe(before);
    } finally {
      await driver.close();
      await b.stop();
    }
  });
});
