import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectConsole } from '../../drivers/console/connect.js';
import { openTcpLink } from '../../drivers/console/tcp-link.js';
import { openTelnetLink } from '../../drivers/console/telnet-link.js';
import type { ByteLink } from '../../drivers/serial/transport.js';
import type { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { configId, encodeRules } from '../../src/protocol/rules/index.js';
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
    }
  });
});
