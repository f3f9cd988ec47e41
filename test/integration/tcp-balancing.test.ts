import { afterEach, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { HttpBackend, startHttpBackends } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { getOnce, httpLoad } from '../../sim/traffic/http-load.js';
import type { ApplianceEvent } from '../../firmware/appliance.js';

const INTERVAL = 200;
const TIMEOUT = 100;
const RISE = 2;
const FALL = 2;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(health: boolean) {
  const backends = await startHttpBackends(3);
  const vip = await freePort();
  const yaml = `services:
  - name: web
    listen: 127.0.0.1:${vip}
    algorithm: weighted-round-robin
${health ? `    health: { type: tcp, interval: ${INTERVAL}ms, timeout: ${TIMEOUT}ms, rise: ${RISE}, fall: ${FALL} }\n` : ''}    backends:
      - { address: ${backends[0]!.address}, weight: 3 }
      - { address: ${backends[1]!.address}, weight: 2 }
      - { address: ${backends[2]!.address}, weight: 1 }
`;
  const sim = await SimulatedAppliance.start({ name: 't', rules: loadRules(yaml, 'test.yaml') });
  const events: (ApplianceEvent & { seenAt: number })[] = [];
  sim.onEvent((e) => events.push({ ...e, seenAt: performance.now() }));
  cleanup.push(async () => {
    await sim.stop();
    await Promise.all(backends.map((b) => b.kill()));
  });
  return { backends, vip, sim, events };
}

const web = (sim: SimulatedAppliance) => sim.appliance.counters().services[0]!;
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('simulator data plane over real TCP', () => {
  it('splits 600 real connections 300/200/100 with weights 3:2:1, and counts what it carried', async () => {
    const { backends, vip, sim } = await setup(false);
    const load = await httpLoad('127.0.0.1', vip, 600, 8);
    expect(load.failed).toBe(0);
    expect(Object.fromEntries(load.byBackend)).toEqual({ b1: 300, b2: 200, b3: 100 });
    expect(backends.map((b) => b.connections)).toEqual([300, 200, 100]);
    await settle();
    const s = web(sim);
    expect(s.connsTotal).toBe(600n);
    expect(s.connsActive).toBe(0);
    expect(s.failures).toBe(0n);
    // Counters are set by the relay: they must equal what the backends themselves saw.
    const addr = (b: HttpBackend) => s.backends.find((x) => x.address === b.address)!;
    for (const b of backends) {
      expect(addr(b).connsTotal).toBe(BigInt(b.connections));
      expect(addr(b).bytesIn).toBe(BigInt(b.bytesReceived));
      expect(addr(b).bytesOut).toBe(BigInt(b.bytesSent));
    }
    expect(s.bytesIn).toBe(BigInt(backends.reduce((n, b) => n + b.bytesReceived, 0)));
  });

  it('routes around a killed backend with no failed connection, and takes it back after `rise` good checks', async () => {
    const { backends, vip, sim, events } = await setup(true);
    const victim = backends[0]!;
    expect((await httpLoad('127.0.0.1', vip, 60, 4)).failed).toBe(0);

    // Keep traffic flowing the whole time: every connection must succeed.
    let stop = false;
    let failed = 0;
    let served = 0;
    const traffic = (async () => {
      while (!stop) {
        try {
          await getOnce('127.0.0.1', vip);
          served++;
        } catch {
          failed++;
        }
      }
    })();

    const killedAt = performance.now();
    await victim.kill();
    const deadline = FALL * INTERVAL + TIMEOUT;
    await waitFor(() => events.some((e) => e.type === 'backend-state' && !e.up), 5_000);
    const down = events.find((e) => e.type === 'backend-state' && !e.up)!;
    expect(down).toMatchObject({ address: victim.address, up: false });
    // Timers on a busy event loop (two cores, the whole suite running) fire a little late; the
    // budget is the check's own arithmetic plus that allowance.
    expect(down.seenAt - killedAt).toBeLessThanOrEqual(deadline + 250);
    // A connect chosen just before the transition may still be failing over: let it finish.
    await new Promise((r) => setTimeout(r, 100));

    const atDown = web(sim).backends.find((b) => b.address === victim.address)!;
    expect(atDown.state).toBe('down');
    const servedAtDown = served;
    await new Promise((r) => setTimeout(r, 500));
    expect(served).toBeGreaterThan(servedAtDown);
    const later = web(sim).backends.find((b) => b.address === victim.address)!;
    // Nothing new was sent to it once it was down: no connection, not even a failed attempt.
    expect(later.connsTotal).toBe(atDown.connsTotal);
    expect(later.connectFailures).toBe(atDown.connectFailures);

    const restartedAt = performance.now();
    await victim.start();
    await waitFor(() => events.some((e) => e.type === 'backend-state' && e.up), 5_000);
    const up = events.find((e) => e.type === 'backend-state' && e.up)!;
    expect(up.seenAt - restartedAt).toBeLessThanOrEqual(RISE * INTERVAL + 250);
    const before = victim.requests;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await traffic;
    expect(victim.requests).toBeGreaterThan(before);
    expect(failed).toBe(0);
    expect(web(sim).failures).toBe(0n);
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
