import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectConsole } from '../../drivers/console/connect.js';
import { DriverError } from '../../drivers/driver.js';
import { openTcpLink } from '../../drivers/console/tcp-link.js';
import { openTelnetLink } from '../../drivers/console/telnet-link.js';
import type { ByteLink } from '../../drivers/serial/transport.js';
import type { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import { configId, encodeRules } from '../../src/protocol/rules/index.js';
import { upgradeAppliance } from '../../src/upgrade/upgrade.js';
import { bigRules } from '../../sim/fixtures/big-rules.js';
import { openPtyPair, type PtyPair } from '../../sim/serial/pty.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { hasSer2net, startSer2net as startSer2netOn, type Ser2net } from '../../sim/ser2net.js';

/**
 * The console transports against Debian's real ser2net (4.x): a PTY stands in for the serial
 * device behind it, first raw (every byte value both ways, raw TCP and telnet RFC 2217), then
 * as a simulated appliance's console, driven through ser2net by the unchanged serial driver.
 */

const HAS_SER2NET = hasSer2net();
if (!HAS_SER2NET)
  console.warn('skipping test/integration/console-server.test.ts: ser2net is not on PATH (Debian: apt-get install ser2net; it is often in /usr/sbin)');

const BAUD = 115_200;
/** Signs the upgrade images; the simulated appliances are told to trust it. */
const KEY = generateSigningKey();
const ALL = Uint8Array.from({ length: 256 }, (_, i) => i);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** ser2net on `device` at the test's baud, stopped after the test. */
async function startSer2net(device: string, ports?: { rawPort: number; telnetPort: number }): Promise<Ser2net & { stop: () => Promise<void> }> {
  const s = await startSer2netOn(device, { baud: BAUD, ...(ports ? { ports } : {}) });
  cleanup.push(() => s.stop());
  return s;
}

/** The console target of `mode` on `ser2net`'s matching accepter. */
const targetOf = (mode: string, s: Ser2net): string =>
  mode === 'raw TCP' ? `tcp://127.0.0.1:${s.rawPort}?baud=${BAUD}` : `telnet://127.0.0.1:${s.telnetPort}?baud=${BAUD}`;

async function until(done: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const MODES = [
  { mode: 'raw TCP', open: (s: Ser2net): Promise<ByteLink> => openTcpLink('127.0.0.1', s.rawPort) },
  {
    mode: 'telnet RFC 2217',
    open: async (s: Ser2net): Promise<ByteLink> => {
      const link = await openTelnetLink('127.0.0.1', s.telnetPort, { baud: BAUD, requireLineSettings: true });
      // ser2net took every setting as asked: that is what requireLineSettings checked.
      expect(link.line).toMatchObject({ comPort: true, took: { baud: BAUD, dataBits: 8, parity: 'none', stopBits: '1' }, problems: [] });
      return link;
    },
  },
] as const;

describe.skipIf(!HAS_SER2NET)('console server: real ser2net in front of a PTY', () => {
  describe('every byte value both ways, against a raw PTY', () => {
    let pty: PtyPair;
    let ser2net: Ser2net;
    const start = async () => {
      pty = await openPtyPair();
      cleanup.push(() => pty.close());
      ser2net = await startSer2net(pty.path);
    };

    for (const { mode, open } of MODES) {
      it(`${mode}: all 256 byte values, then 64 KiB of them, each way, unchanged`, async () => {
        await start();
        const atDevice: number[] = [];
        pty.onData((b) => atDevice.push(...b));
        const link = await open(ser2net);
        cleanup.push(() => link.close());
        const atAgent: number[] = [];
        link.onData((b) => atAgent.push(...b));

        // Agent → device first: once it has arrived, ser2net surely holds the device open, so
        // nothing the device sends next is flushed by ser2net opening it.
        link.write(ALL);
        await until(() => atDevice.length >= 256, `256 bytes at the device (${atDevice.length}); ser2net said:\n${ser2net.log()}`);
        expect(atDevice).toEqual([...ALL]);
        pty.write(ALL);
        await until(() => atAgent.length >= 256, `256 bytes at the agent (${atAgent.length})`);
        expect(atAgent).toEqual([...ALL]);

        // Bulk: every value, 0xFF runs included, in writes of odd sizes.
        const bulk = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i % 7 === 0 ? 0xff : (i * 31 + (i >> 8)) & 0xff));
        atDevice.length = 0;
        atAgent.length = 0;
        for (let at = 0; at < bulk.length; at += 1_000) link.write(bulk.subarray(at, at + 1_000));
        pty.write(bulk);
        await until(() => atDevice.length >= bulk.length && atAgent.length >= bulk.length, `64 KiB each way (${atDevice.length}, ${atAgent.length})`, 15_000);
        expect(Buffer.from(atDevice).equals(Buffer.from(bulk))).toBe(true);
        expect(Buffer.from(atAgent).equals(Buffer.from(bulk))).toBe(true);
      });
    }
  });

  describe("the serial driver over ser2net, to a simulated appliance's console", () => {
    /** A table whose id has a 0xFF byte in its first 8: it goes out in put-begin and comes back in the answers, so escaping is used both ways. */
    const rules = (() => {
      for (let n = 40; ; n++) {
        const id = configId(bigRules(n));
        if (/^(?:..)*ff/.test(id.slice(0, 16))) return bigRules(n);
      }
    })();

    for (const { mode } of MODES) {
      it(`${mode}: hello and info, then a full push with commit confirmed, and confirm`, async () => {
        const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-console-'));
        cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
        const sim = await SimulatedAppliance.start({ name: 'cs', rules: bigRules(2), stateDir, listen: false, serial: { baud: BAUD } });
        cleanup.push(() => sim.stop());
        const ser2net = await startSer2net(sim.line!.path);
        const target = mode === 'raw TCP' ? `tcp://127.0.0.1:${ser2net.rawPort}?baud=${BAUD}` : `telnet://127.0.0.1:${ser2net.telnetPort}?baud=${BAUD}`;
        const problems: string[] = [];
        const driver: SerialDriver = await connectConsole(target, { requireLineSettings: true, onProblem: (p) => problems.push(p) });
        cleanup.push(() => driver.close());

        const info = await driver.info();
        expect(info).toMatchObject({
          model: 'FL-1000',
          serialNumber: sim.appliance.identity.serialNumber,
          configId: configId(bigRules(2)),
          pendingConfirm: null,
        });

        const pushed = await driver.push(encodeRules(rules), { confirmTimeoutMs: 30_000 });
        expect(pushed).toMatchObject({ mode: 'full', configId: configId(rules), previousConfigId: configId(bigRules(2)) });
        expect(sim.appliance.configId).toBe(configId(rules));
        const pending = await driver.info();
        expect(pending.configId).toBe(configId(rules));
        expect(pending.pendingConfirm).toBeGreaterThan(25);

        expect(await driver.confirm()).toEqual({ configId: configId(rules) });
        expect(await driver.info()).toMatchObject({ configId: configId(rules), pendingConfirm: null });
        // Nothing was lost or resent on the way through ser2net.
        expect(driver.stats.retransmissions).toBe(0);
        // Reading back in parallel pieces may resend one at 115200 (on a direct PTY too: the
        // transport's timer), so only the content and the framing are checked here.
        expect(await driver.readRunning()).toEqual(encodeRules(rules));
        expect(driver.stats).toMatchObject({ crcErrors: 0, malformed: 0, oversize: 0 });
        expect(problems).toEqual([]);
      });

      it(`${mode}: ser2net restarting mid-session: the driver reconnects through it and carries on`, async () => {
        const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-console-'));
        cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
        const sim = await SimulatedAppliance.start({ name: 'cr', rules: bigRules(2), stateDir, listen: false, serial: { baud: BAUD } });
        cleanup.push(() => sim.stop());
        const first = await startSer2net(sim.line!.path);
        const target = mode === 'raw TCP' ? `tcp://127.0.0.1:${first.rawPort}?baud=${BAUD}` : `telnet://127.0.0.1:${first.telnetPort}?baud=${BAUD}`;
        const driver = await connectConsole(target, { reconnectForMs: 10_000 });
        cleanup.push(() => driver.close());
        expect((await driver.info()).serialNumber).toBe(sim.appliance.identity.serialNumber);

        await first.stop();
        const restarted = startSer2net(sim.line!.path, first);
        // Asked while the console server is down: answered once it is back.
        const info = await driver.info();
        await restarted;
        expect(info).toMatchObject({ serialNumber: sim.appliance.identity.serialNumber, configId: configId(bigRules(2)) });
        const pushed = await driver.push(encodeRules(rules), { confirmTimeoutMs: 0 });
        expect(pushed.configId).toBe(configId(rules));
        expect(sim.appliance.configId).toBe(configId(rules));
      });

      it(`${mode}: a full push, then a delta push of one changed backend, then counters for every service`, async () => {
        const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-console-'));
        cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
        const sim = await SimulatedAppliance.start({ name: 'cd', rules: bigRules(2), stateDir, listen: false, serial: { baud: BAUD } });
        cleanup.push(() => sim.stop());
        const ser2net = await startSer2net(sim.line!.path);
        const driver = await connectConsole(targetOf(mode, ser2net), { requireLineSettings: true });
        cleanup.push(() => driver.close());

        // The agent's cache, as the CLI keeps it: what it has pushed, by id. The first push
        // finds the appliance on a config it has not got, so it goes whole.
        const before = bigRules(60);
        const after = bigRules(60, 3, (s, b) => (s === 17 && b === 1 ? 5 : 1));
        const cache = new Map<string, Uint8Array>();
        const baseFor = (id: string) => cache.get(id) ?? null;
        const full = await driver.push(encodeRules(before), { confirmTimeoutMs: 0, baseFor });
        expect(full).toMatchObject({ mode: 'full', configId: configId(before), previousConfigId: configId(bigRules(2)) });
        cache.set(full.configId, encodeRules(before));

        // Now the appliance runs a table the agent has: only the difference crosses the line.
        const delta = await driver.push(encodeRules(after), { confirmTimeoutMs: 30_000, baseFor });
        expect(delta).toMatchObject({ mode: 'delta', configId: configId(after), previousConfigId: configId(before) });
        expect(delta.bytes).toBeLessThan(full.bytes / 4);
        expect(sim.appliance.configId).toBe(configId(after));
        expect(await driver.confirm()).toEqual({ configId: configId(after) });
        expect(await driver.info()).toMatchObject({ configId: configId(after), pendingConfirm: null });

        // The counters read back through ser2net are the appliance's own, one entry per service
        // of the table it now runs, the changed weight included.
        const counters = await driver.counters();
        expect(counters).toEqual(sim.appliance.counters());
        expect(counters.services.map((s) => s.name)).toEqual(after.services.map((s) => s.name));
        expect(counters.services[17]!.backends.map((b) => b.weight)).toEqual([1, 5, 1]);
        expect(driver.stats).toMatchObject({ crcErrors: 0, malformed: 0, oversize: 0 });
      });

      it(`${mode}: a firmware upgrade; the appliance reboots behind ser2net and answers on the new version`, async () => {
        const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-console-'));
        cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
        const sim = await SimulatedAppliance.start({
          name: 'cf',
          rules: bigRules(2),
          stateDir,
          listen: false,
          trustKeys: [KEY.publicKey],
          serial: { baud: BAUD },
        });
        cleanup.push(() => sim.stop());
        const ser2net = await startSer2net(sim.line!.path);
        const driver = await connectConsole(targetOf(mode, ser2net), { requireLineSettings: true, reconnectForMs: 10_000 });
        cleanup.push(() => driver.close());
        expect((await driver.firmwareStatus()).active).toEqual({ slot: 'A', version: '1.0.0', confirmed: true });

        // 24 KiB of payload: a few seconds at 115200, enough for many windows of chunks.
        const image = buildImage({ version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 24 * 1024 }) }, KEY);
        const steps: string[] = [];
        const r = await upgradeAppliance(driver, image, { bootTimeoutMs: 20_000, onStep: (s) => steps.push(s) });
        expect(r).toMatchObject({ version: '2.0.0', bytes: image.length, confirmed: true });
        expect(steps).toEqual(['upload', 'activate', 'reboot', 'verify']);

        // The box really restarted (a second boot), ser2net and its session stayed up across it,
        // and the driver's handshake found the same appliance on the new image, config kept.
        expect(sim.boots).toBe(2);
        expect(sim.appliance.identity.firmware).toBe('2.0.0');
        expect((await driver.firmwareStatus()).active).toEqual({ slot: 'B', version: '2.0.0', confirmed: true });
        expect(await driver.info()).toMatchObject({
          serialNumber: sim.appliance.identity.serialNumber,
          firmware: '2.0.0',
          configId: configId(bigRules(2)),
        });
        expect(driver.stats).toMatchObject({ crcErrors: 0, malformed: 0, oversize: 0 });
      }, 60_000);

      it(`${mode}: ser2net restarting mid-push: the push completes or fails cleanly, never a partial config`, async () => {
        const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-console-'));
        cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
        const sim = await SimulatedAppliance.start({ name: 'cm', rules: bigRules(2), stateDir, listen: false, serial: { baud: BAUD } });
        cleanup.push(() => sim.stop());
        const first = await startSer2net(sim.line!.path);
        const driver = await connectConsole(targetOf(mode, first), { reconnectForMs: 10_000 });
        cleanup.push(() => driver.close());
        const oldId = configId(bigRules(2));
        expect((await driver.info()).configId).toBe(oldId);

        // ~70 KB, ~6 s at the line rate: ser2net goes down once ~12 KB are acknowledged, with
        // more chunks in flight (in ser2net's buffers, the PTY's, the appliance's decoder).
        const big = bigRules(1000);
        const newId = configId(big);
        // Set from the progress callback (an array: TypeScript does not see callbacks assign).
        const cuts: { at: number; restarted: Promise<unknown> }[] = [];
        const push = driver.push(encodeRules(big), {
          confirmTimeoutMs: 0,
          onProgress: (sent) => {
            if (cuts.length > 0 || sent < 12_000) return;
            cuts.push({ at: sent, restarted: first.stop().then(() => startSer2net(sim.line!.path, first)) });
          },
        });
        const outcome = await push.then(
          (r) => ({ ok: true as const, r }),
          (err: unknown) => ({ ok: false as const, err }),
        );
        // The cut did happen, part way through.
        expect(cuts).toHaveLength(1);
        expect(cuts[0]!.at).toBeLessThan(encodeRules(big).length);
        await cuts[0]!.restarted;
        if (outcome.ok) expect(outcome.r).toMatchObject({ mode: 'full', configId: newId });
        else expect(outcome.err).toBeInstanceOf(DriverError);

        // Whole or nothing: the appliance runs the old table or the new one, and says so to the
        // driver once it is reconnected; no candidate was left staged to be committed later.
        const running = sim.appliance.configId;
        expect([oldId, newId]).toContain(running);
        if (outcome.ok) expect(running).toBe(newId);
        expect((await driver.info()).configId).toBe(running);
        await expect(driver.readSlot({ slot: 'candidate' })).rejects.toMatchObject({ code: 'refused', remote: 'noCandidate' });
        expect(sim.appliance.configId).toBe(running);

        // And the next push goes through the restarted ser2net.
        const again = await driver.push(encodeRules(big), { confirmTimeoutMs: 0 });
        expect(again).toMatchObject({ mode: 'full', configId: newId });
        expect(sim.appliance.configId).toBe(newId);
        expect((await driver.info()).configId).toBe(newId);
      }, 60_000);
    }
  });
});
