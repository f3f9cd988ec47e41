import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { createRandom } from '../../firmware/forwarding/flow/random.js';
import { Monitor } from '../../src/poller/monitor.js';
import { loadRules } from '../../src/rules/index.js';
import { openStore } from '../../src/store/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { VIEW_MAX_AGE_MS } from '../../sim/snmp/appliance-mib.js';
import { startHttpBackends } from '../../sim/backends/http-backend.js';
import { LossyUdpRelay } from '../../sim/faults/lossy-udp-relay.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';

const TWO_32 = 2n ** 32n;
/** ifInOctets starts 5,000 octets short of 2^32: a few rounds of requests wrap it, in each boot. */
const IF_BASE = TWO_32 - 5_000n;

/** What the simulator itself counted at one poll: the ground truth the stored deltas must equal. */
interface Truth {
  boot: number;
  connsTotal: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
}

describe('polling through 20% UDP loss, a Counter32 wrap and an appliance reboot', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('stores every interval exactly as the simulator counted it, gaps marked, no spike', async () => {
    const backends = await startHttpBackends(2);
    const vip = await freePort();
    const snmpPort = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-poll-faults-'));
    const rules = loadRules(
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
      'p.yaml',
    );
    const start = () =>
      SimulatedAppliance.start({
        name: 'p1',
        rules,
        stateDir: path.join(dir, 'flash'),
        snmp: { host: '127.0.0.1', port: snmpPort, community: 'public', interfaceCounterBase: IF_BASE },
      });
    let sim = await start();
    let boot = 0;
    const relay = new LossyUdpRelay({ host: '127.0.0.1', port: snmpPort }, 0.2, createRandom(5));
    const via = await relay.start();
    const store = await openStore({ file: path.join(dir, 'agent.db') });
    cleanup.push(async () => {
      relay.close();
      await store.close();
      await sim.stop();
      await Promise.all(backends.map((b) => b.kill()));
    });
    await store.inventory.add({ name: 'p1', target: `snmp://${via}`, credentials: { community: 'public' } });
    // Polls come every 1.5–2 s, or up to ~8 s apart when every retry of one is lost: an expected
    // interval of 5 s keeps those within the heartbeat (3 intervals), so only the reboot is a gap.
    const monitor = new Monitor(store.metrics, {
      intervalMs: 5_000,
      connect: async (r) => SnmpDriver.connect(r.target, { version: '2c', community: 'public' }, { timeoutMs: 300, retries: 3 }),
    });
    cleanup.push(() => monitor.close());

    const truth = (): Truth => {
      const web = sim.appliance.counters().services[0]!;
      return { boot, connsTotal: web.connsTotal, bytesIn: web.bytesIn, bytesOut: web.bytesOut };
    };
    // Each successful poll with the simulator's own counters at that moment. Traffic only flows
    // between polls, and a poll comes more than VIEW_MAX_AGE_MS after it, so the agent's view
    // and these counters are the same instant's. Lost polls (every retry dropped) store nothing
    // and are repeated: the next interval then spans them, as in production.
    const polled: Truth[] = [];
    let failedPolls = 0;
    const poll = async () => {
      await new Promise((r) => setTimeout(r, VIEW_MAX_AGE_MS + 100));
      for (;;) {
        const t = truth();
        const started = Date.now();
        const summary = await monitor.cycle(await store.inventory.list());
        if (summary.failed === 0) return void polled.push(t);
        failedPolls++;
        await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - started))));
      }
    };

    await poll();
    for (let round = 0; round < 4; round++) {
      expect((await httpLoad('127.0.0.1', vip, 30, 4)).ok).toBe(30);
      await poll();
    }
    // Reboot: the counters start again (the interface's from the same base) and sysUpTime goes back.
    await sim.stop();
    sim = await start();
    boot++;
    await poll();
    for (let round = 0; round < 4; round++) {
      expect((await httpLoad('127.0.0.1', vip, 30, 4)).ok).toBe(30);
      await poll();
    }
    expect(relay.dropped).toBeGreaterThan(0);

    // Expected per stored interval: the simulator's increase since the previous successful poll
    // of the same boot; the first poll of each boot is a gap (baseline, then reboot).
    const expected = (pick: (t: Truth) => bigint, modulus: bigint | null) =>
      polled.map((t, i) => {
        const prev = polled[i - 1];
        if (!prev || prev.boot !== t.boot) return null;
        return modulus === null ? Number(pick(t) - pick(prev)) : Number((((pick(t) - pick(prev)) % modulus) + modulus) % modulus);
      });
    const stored = async (key: { service?: string; counter: string }) => {
      const series = await store.metrics.query({ appliance: 'p1', ...key, from: 0, to: Date.now() + 1, resolution: 'raw' });
      expect(series, key.counter).not.toBeNull();
      return series!.points.map((p) => p.sum);
    };
    const inOctets = (t: Truth) => IF_BASE + t.bytesIn;
    const outOctets = (t: Truth) => IF_BASE + t.bytesOut;

    expect(await stored({ service: 'web', counter: 'connsTotal' })).toEqual(expected((t) => t.connsTotal, null));
    expect(await stored({ service: 'web', counter: 'bytesIn' })).toEqual(expected((t) => t.bytesIn, null));
    expect(await stored({ counter: 'ifHCInOctets.data0' })).toEqual(expected(inOctets, null));
    expect(await stored({ counter: 'ifHCOutOctets.data0' })).toEqual(expected(outOctets, null));
    // The Counter32 twins wrapped inside stored intervals, in both boots, and still equal the truth.
    const wrappedIntervals = polled.filter((t, i) => i > 0 && polled[i - 1]!.boot === t.boot && inOctets(t) % TWO_32 < inOctets(polled[i - 1]!) % TWO_32);
    expect(new Set(wrappedIntervals.map((t) => t.boot))).toEqual(new Set([0, 1]));
    expect(await stored({ counter: 'ifInOctets.data0' })).toEqual(expected(inOctets, null));
    expect(await stored({ counter: 'ifOutOctets.data0' })).toEqual(expected(outOctets, null));

    // Rates are the deltas over the stored intervals: no interval claims more than the whole run.
    const rates = (await store.metrics.query({ appliance: 'p1', counter: 'ifInOctets.data0', from: 0, to: Date.now() + 1, resolution: 'raw' }))!.points;
    const total = Number(polled.at(-1)!.bytesIn) * 2;
    for (const p of rates) if (p.value !== null) expect(p.value).toBeLessThan(total);
    console.log(
      `poller under 20% loss: ${polled.length} polls stored, ${failedPolls} lost whole and repeated, ${relay.dropped} datagrams dropped, ${wrappedIntervals.length} Counter32 wraps`,
    );
  });
});
