import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { createRandom } from '../../firmware/forwarding/flow/random.js';
import { Monitor } from '../../src/poller/monitor.js';
import { loadRules } from '../../src/protocol/rules/index.js';
import { openStore } from '../../src/store/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { startHttpBackends } from '../../sim/backends/http-backend.js';
import { LossyUdpRelay } from '../../sim/faults/lossy-udp-relay.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';

describe('polling through 20% UDP loss and an appliance reboot', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('stores no spike: increases never add up to more than was served, and the reboot is a gap', async () => {
    const backends = await startHttpBackends(2);
    const vip = await freePort();
    const snmpPort = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-poll-faults-'));
    const rules = loadRules(`services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`, 'p.yaml');
    const start = () => SimulatedAppliance.start({ name: 'p1', rules, stateDir: path.join(dir, 'flash'), snmp: { host: '127.0.0.1', port: snmpPort, community: 'public' } });
    let sim = await start();
    const relay = new LossyUdpRelay({ host: '127.0.0.1', port: snmpPort }, 0.2, createRandom(5));
    const via = await relay.start();
    const store = openStore({ file: path.join(dir, 'agent.db') });
    cleanup.push(async () => {
      relay.close();
      store.close();
      await sim.stop();
      await Promise.all(backends.map((b) => b.kill()));
    });
    store.inventory.add({ name: 'p1', target: `snmp://${via}`, credentials: { community: 'public' } });
    const monitor = new Monitor(store.metrics, {
      intervalMs: 1_000,
      connect: async (r) => SnmpDriver.connect(r.target, { version: '2c', community: 'public' }, { timeoutMs: 400, retries: 3 }),
    });
    cleanup.push(() => monitor.close());
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const t = Date.now();
        await monitor.cycle(store.inventory.list());
        await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - t))));
      }
    };

    await cycles(2);
    let served = 0;
    for (let round = 0; round < 4; round++) {
      served += (await httpLoad('127.0.0.1', vip, 30, 4)).ok;
      await cycles(1);
    }
    // Reboot: the counters start again from zero and sysUpTime goes back.
    await sim.stop();
    sim = await start();
    for (let round = 0; round < 3; round++) {
      served += (await httpLoad('127.0.0.1', vip, 30, 4)).ok;
      await cycles(1);
    }
    // The agent's view is at most 1 s old: give it one more poll after the last traffic.
    await new Promise((r) => setTimeout(r, 1_100));
    await cycles(2);
    expect(served).toBe(210);
    expect(relay.dropped).toBeGreaterThan(0);

    const series = store.metrics.query({ appliance: 'p1', service: 'web', counter: 'connsTotal', from: 0, to: Date.now() + 1, resolution: 'raw' })!;
    const values = series.points.map((p) => p.value);
    const increases = values.filter((v): v is number => typeof v === 'number');
    // No spike: no interval claims more than was served in the whole run, and together they
    // never exceed it (a reboot read as a wrap would claim ~2^64).
    expect(Math.max(...increases)).toBeLessThanOrEqual(120);
    const sumOfIncreases = series.points.reduce((n, p) => n + (typeof p.sum === 'number' ? p.sum : typeof p.value === 'number' ? p.value : 0), 0);
    expect(sumOfIncreases).toBeLessThanOrEqual(served);
    // The baseline and the reboot are gaps (nulls). What cannot be counted is the traffic of the
    // intervals the reboot cuts (up to two rounds, with the agent's view up to 1 s old); the
    // three rounds before them must all be there, lost polls notwithstanding.
    expect(values.filter((v) => v === null).length).toBeGreaterThanOrEqual(2);
    expect(sumOfIncreases).toBeGreaterThanOrEqual(90);
  });
});
