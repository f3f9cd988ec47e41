/**
 * Same rules, same behaviour: one rule table run by the simulator and, exported with
 * src/interop, by a real HAProxy 2.6, in front of the same real HTTP backends (the two listen on
 * different ports; nothing else differs). Under weights 3:2:1 the split of 3,000 connections
 * agrees within 1 %; a killed backend is taken out by both within their check timing and gets
 * nothing more; the backup takes traffic in both only once every primary is down.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaproxyDriver } from '../../drivers/haproxy/haproxy-driver.js';
import { HttpBackend, startHttpBackends } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { exportConfig } from '../../src/interop/index.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { loadRules } from '../../src/rules/index.js';
import { hasHaproxy, startHaproxy, type HaproxyBox } from '../support/haproxy.js';

const available = hasHaproxy();
const INTERVAL_MS = 200;
const TIMEOUT_MS = 100;
const FALL = 2;
/** What either side may take to mark a dead backend down: its checks, plus room for two busy cores. */
const DOWN_WITHIN_MS = FALL * INTERVAL_MS + TIMEOUT_MS + 4_000;

let primaries: HttpBackend[] = [];
let backup: HttpBackend;
let sim: SimulatedAppliance;
let box: HaproxyBox;
let driver: HaproxyDriver;
const ports = { sim: 0, haproxy: 0 };

function table(listen: number): RuleTable {
  const lines = primaries.map((b, i) => `      - { address: ${b.address}, weight: ${[3, 2, 1][i]} }`);
  lines.push(`      - { address: ${backup.address}, backup: true }`);
  const yaml = `services:
  - name: web
    listen: 127.0.0.1:${listen}
    algorithm: weighted-round-robin
    health: { type: tcp, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, rise: 2, fall: ${FALL} }
    backends:
${lines.join('\n')}
`;
  return loadRules(yaml, 'same.yaml');
}

const everyone = () => [...primaries, backup];

/** Requests to both, in turns of `count` each: answers per backend name, for the simulator and for HAProxy. */
async function load(count: number): Promise<{ sim: Map<string, number>; haproxy: Map<string, number> }> {
  const a = await httpLoad('127.0.0.1', ports.sim, count, 8);
  const b = await httpLoad('127.0.0.1', ports.haproxy, count, 8);
  expect(a.failed, `simulator: ${a.errors.join('; ')}`).toBe(0);
  expect(b.failed, `HAProxy: ${b.errors.join('; ')}`).toBe(0);
  return { sim: a.byBackend, haproxy: b.byBackend };
}

/** Each backend's state as each side sees it, by address. */
async function states(): Promise<{ sim: Map<string, string>; haproxy: Map<string, string> }> {
  const ofSim = sim.appliance.counters().services[0]!.backends;
  const ofHaproxy = (await driver.counters()).services[0]!.backends;
  return { sim: new Map(ofSim.map((b) => [b.address, b.state])), haproxy: new Map(ofHaproxy.map((b) => [b.address, b.state])) };
}

async function bothSee(address: string, state: 'up' | 'down'): Promise<void> {
  const deadline = Date.now() + DOWN_WITHIN_MS;
  for (;;) {
    const s = await states();
    if (s.sim.get(address) === state && s.haproxy.get(address) === state) return;
    if (Date.now() > deadline)
      throw new Error(`${address}: simulator ${s.sim.get(address)}, HAProxy ${s.haproxy.get(address)}, not both ${state} within ${DOWN_WITHIN_MS} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!available)('one rule table on the simulator and on HAProxy', () => {
  beforeAll(async () => {
    primaries = await startHttpBackends(3);
    backup = await new HttpBackend('backup').start();
    ports.sim = await freePort();
    ports.haproxy = await freePort();
    sim = await SimulatedAppliance.start({ name: 'same', rules: table(ports.sim), listen: true });
    const exported = exportConfig(table(ports.haproxy), 'haproxy');
    expect(exported.report).toEqual([]);
    box = await startHaproxy(() => exported.text);
    driver = await HaproxyDriver.connect(box.target);
  });
  afterAll(async () => {
    await driver?.close();
    await box?.stop();
    await sim?.stop();
    await Promise.all(everyone().map((b) => b.kill()));
  });

  it('splits 3,000 connections 3:2:1 the same, within 1 % per backend', async () => {
    const counts = await load(3_000);
    for (const b of primaries) {
      const simShare = (counts.sim.get(b.name) ?? 0) / 3_000;
      const haproxyShare = (counts.haproxy.get(b.name) ?? 0) / 3_000;
      expect(Math.abs(simShare - haproxyShare), `${b.name}: simulator ${simShare}, HAProxy ${haproxyShare}`).toBeLessThanOrEqual(0.01);
    }
    expect([counts.sim.get('backup') ?? 0, counts.haproxy.get('backup') ?? 0]).toEqual([0, 0]);
    expect(counts.sim.get('b1')).toBeCloseTo(1_500, -1);
  });

  it('takes a killed backend out in both, and sends it nothing after', async () => {
    const victim = primaries[0]!;
    await victim.kill();
    try {
      await bothSee(victim.address, 'down');
      const counts = await load(300);
      expect([counts.sim.get(victim.name) ?? 0, counts.haproxy.get(victim.name) ?? 0]).toEqual([0, 0]);
      // The survivors keep their 2:1.
      for (const side of [counts.sim, counts.haproxy]) {
        expect(side.get('b2')).toBeGreaterThanOrEqual(195);
        expect(side.get('b2')).toBeLessThanOrEqual(205);
      }
    } finally {
      await victim.start();
    }
    await bothSee(victim.address, 'up');
  });

  it('sends to the backup in both only once every primary is down', async () => {
    try {
      for (const [i, b] of primaries.entries()) {
        await b.kill();
        await bothSee(b.address, 'down');
        const counts = await load(60);
        const last = i === primaries.length - 1;
        expect([counts.sim.get('backup') ?? 0, counts.haproxy.get('backup') ?? 0], `${i + 1} of ${primaries.length} primaries down`).toEqual(
          last ? [60, 60] : [0, 0],
        );
      }
    } finally {
      for (const b of primaries) await b.start();
    }
    for (const b of primaries) await bothSee(b.address, 'up');
    const counts = await load(60);
    expect([counts.sim.get('backup') ?? 0, counts.haproxy.get('backup') ?? 0]).toEqual([0, 0]);
  });
});
