/**
 * Polling through a lossy network: a simulated appliance with its SNMP agent behind a UDP relay
 * that drops 20% of the datagrams each way (seeded), its interface octet counters starting a
 * little short of 2^32 so the Counter32 twins wrap, traffic through its data plane between
 * polls, and reboots (in place, or the whole simulator stopped and started again on its state).
 * The agent's Monitor stores into a real SQLite file. Every stored interval must equal what the
 * simulator itself counted over it, and the first poll of each boot must be a gap: 0 spikes.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SnmpDriver } from '../../../drivers/snmp/snmp-driver.js';
import { Monitor } from '../../../src/poller/monitor.js';
import { loadRules } from '../../../src/rules/index.js';
import { openStore } from '../../../src/store/index.js';
import { startHttpBackends, type HttpBackend } from '../../../sim/backends/http-backend.js';
import { LossyUdpRelay } from '../../../sim/faults/lossy-udp-relay.js';
import { freePort } from '../../../sim/free-port.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { VIEW_MAX_AGE_MS } from '../../../sim/snmp/appliance-mib.js';
import { httpLoad } from '../../../sim/traffic/http-load.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';
import { rngFrom } from '../rng.js';

const TWO_32 = 2n ** 32n;
const LOSS = 0.2;

/** What the simulator itself counted at one poll: the truth the stored deltas must equal. */
interface Truth {
  boot: number;
  /** How long the successful poll took (retries included): long ones skew sysUpTime against the clock. */
  pollMs: number;
  connsTotal: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
}

export function pollingCampaign(trials: { full: number; short: number }): Campaign {
  let backends: HttpBackend[] = [];
  return {
    kind: 'poll-loss',
    about: `polling through ${LOSS * 100}% UDP loss with Counter32 wraps and reboots: every stored delta is the simulator's own count, or a gap at a reboot`,
    trials,
    trialTimeoutMs: 180_000,
    async setup() {
      backends = await startHttpBackends(2);
    },
    async teardown() {
      await Promise.all(backends.map((b) => b.kill()));
    },
    async run({ rng }: TrialContext): Promise<Notes> {
      const vip = await freePort();
      const snmpPort = await freePort();
      const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-poll-loss-'));
      const rules = loadRules(
        `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
        'p.yaml',
      );
      // A few rounds of traffic take the 32-bit octet counters past 2^32 in every boot.
      const base = TWO_32 - BigInt(rng.int(300, 4_000));
      const start = () =>
        SimulatedAppliance.start({
          name: 'p1',
          rules,
          stateDir: path.join(dir, 'flash'),
          snmp: { host: '127.0.0.1', port: snmpPort, community: 'public', interfaceCounterBase: base },
        });
      let sim = await start();
      const relay = new LossyUdpRelay({ host: '127.0.0.1', port: snmpPort }, LOSS, rngFrom(rng.seed()).next);
      const via = await relay.start();
      const store = await openStore({ file: path.join(dir, 'agent.db') });
      // An expected interval of 5 s keeps polls up to ~15 s apart (all retries of one lost) within the heartbeat: only reboots are gaps.
      const monitor = new Monitor(store.metrics, {
        intervalMs: 5_000,
        connect: async (r) => SnmpDriver.connect(r.target, { version: '2c', community: 'public' }, { timeoutMs: 300, retries: 3 }),
      });
      try {
        await store.inventory.add({ name: 'p1', target: `snmp://${via}`, credentials: { community: 'public' } });
        let boot = 0;
        const truth = (): Truth => {
          const web = sim.appliance.counters().services[0]!;
          return { boot, pollMs: 0, connsTotal: web.connsTotal, bytesIn: web.bytesIn, bytesOut: web.bytesOut };
        };
        // Traffic flows only between polls, and a poll comes after the agent's view has expired,
        // so the agent's answer and `truth()` describe the same instant. A poll lost whole is
        // repeated: the next stored interval then spans it, as in production.
        const polled: Truth[] = [];
        let lostPolls = 0;
        const poll = async () => {
          await sleep(VIEW_MAX_AGE_MS + 100);
          for (;;) {
            const t = truth();
            const started = Date.now();
            const cycle = await monitor.cycle(await store.inventory.list());
            if (cycle.failed === 0) return void polled.push({ ...t, pollMs: Math.round(cycle.ms) });
            lostPolls++;
            await sleep(Math.max(0, 1_000 - (Date.now() - started)));
          }
        };

        const boots = rng.int(2, 3);
        let inPlace = 0;
        for (let b = 0; b < boots; b++) {
          if (b > 0) {
            if (rng.chance(0.5)) {
              await sim.reboot();
              inPlace++;
            } else {
              await sim.stop();
              sim = await start();
            }
            boot++;
          }
          await poll();
          const rounds = rng.int(2, 4);
          for (let r = 0; r < rounds; r++) {
            const count = rng.int(10, 40);
            const load = await httpLoad('127.0.0.1', vip, count, 4);
            ensure(load.ok === count, () => `traffic: ${load.ok} of ${count} requests went through the simulator`);
            await poll();
          }
        }

        // Expected per stored interval: the increase since the previous successful poll of the same boot; null (a gap) at each boot's first poll.
        const expected = (pick: (t: Truth) => bigint) =>
          polled.map((t, i) => {
            const prev = polled[i - 1];
            return !prev || prev.boot !== t.boot ? null : Number(pick(t) - pick(prev));
          });
        const inOctets = (t: Truth) => base + t.bytesIn;
        const outOctets = (t: Truth) => base + t.bytesOut;
        const checks: [string, string | undefined, (t: Truth) => bigint][] = [
          ['connsTotal', 'web', (t) => t.connsTotal],
          ['bytesIn', 'web', (t) => t.bytesIn],
          ['ifHCInOctets.data0', undefined, inOctets],
          ['ifHCOutOctets.data0', undefined, outOctets],
          ['ifInOctets.data0', undefined, inOctets],
          ['ifOutOctets.data0', undefined, outOctets],
        ];
        let spikes = 0;
        for (const [counter, service, pick] of checks) {
          const series = await store.metrics.query({
            appliance: 'p1',
            counter,
            ...(service ? { service } : {}),
            from: 0,
            to: Date.now() + 1,
            resolution: 'raw',
          });
          ensure(series !== null, () => `no stored series ${counter}`);
          const stored = series.points.map((p) => p.sum);
          const want = expected(pick);
          const wrong = stored.map((v, i) => ({ i, v, want: want[i] })).filter((x) => x.v !== x.want);
          spikes += wrong.filter((x) => x.v !== null && (x.want === null || x.want === undefined || x.v > x.want)).length;
          const detail = wrong
            .map(
              (x) =>
                `interval ${x.i}: stored ${x.v}, counted ${x.want} (that poll took ${polled[x.i]?.pollMs} ms, the one before ${polled[x.i - 1]?.pollMs} ms)`,
            )
            .join('; ');
          ensure(
            stored.length === want.length && wrong.length === 0,
            () => `${counter}: stored ${JSON.stringify(stored)}, the simulator counted ${JSON.stringify(want)}: ${detail}`,
          );
        }
        ensure(spikes === 0, () => `${spikes} spikes`);
        const wraps = polled.filter((t, i) => i > 0 && polled[i - 1]!.boot === t.boot && inOctets(t) % TWO_32 < inOctets(polled[i - 1]!) % TWO_32).length;
        ensure(wraps > 0, 'no Counter32 wrap happened: the trial did not test one');
        return {
          polls: polled.length,
          'polls lost whole': lostPolls,
          'datagrams dropped': relay.dropped,
          'Counter32 wraps': wraps,
          reboots: boots - 1,
          'reboots in place': inPlace,
        };
      } finally {
        await monitor.close();
        relay.close();
        await store.close();
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
