import { describe, expect, it } from 'vitest';
import { HealthMonitor, type HealthTransition } from '../../../../../firmware/forwarding/health/health-monitor.js';
import type { HealthProbePort } from '../../../../../firmware/ports.js';
import type { HealthCheck } from '../../../../../src/protocol/rules/model.js';
import { FakeClock } from '../../../../support/fake-clock.js';

const check: HealthCheck = { type: 'tcp', intervalMs: 1000, timeoutMs: 300, rise: 2, fall: 3, path: '', expectStatus: [0, 0] };

function setup(behaviour: (address: string) => 'ok' | 'fail' | 'hang') {
  const clock = new FakeClock();
  const probes: { address: string; at: number }[] = [];
  const port: HealthProbePort = {
    probe(address) {
      probes.push({ address, at: clock.now() });
      const b = behaviour(address);
      if (b === 'hang') return new Promise(() => undefined);
      return Promise.resolve({ ok: b === 'ok', detail: b });
    },
  };
  const transitions: (HealthTransition & { at: number })[] = [];
  const monitor = new HealthMonitor(clock, port, (t) => transitions.push({ ...t, at: clock.now() }));
  return { clock, probes, transitions, monitor };
}

describe('HealthMonitor', () => {
  it('probes every interval, spreading targets over the first interval', async () => {
    const { clock, probes, monitor } = setup(() => 'ok');
    monitor.start([
      { id: 0, address: 'a', check, initiallyUp: true },
      { id: 1, address: 'b', check, initiallyUp: true },
    ]);
    await clock.advance(3_000);
    expect(probes.filter((p) => p.address === 'a').map((p) => p.at)).toEqual([0, 1000, 2000, 3000]);
    expect(probes.filter((p) => p.address === 'b').map((p) => p.at)).toEqual([500, 1500, 2500]);
    monitor.stop();
  });

  it('declares a dead backend down within fall × interval + timeout of its death', async () => {
    let dead = false;
    const { clock, transitions, monitor } = setup(() => (dead ? 'fail' : 'ok'));
    monitor.start([{ id: 7, address: 'a', check, initiallyUp: true }]);
    await clock.advance(2_500);
    dead = true;
    const diedAt = clock.now();
    await clock.advance(10_000);
    expect(transitions).toHaveLength(1);
    expect(transitions[0]).toMatchObject({ id: 7, up: false });
    expect(transitions[0]!.at - diedAt).toBeLessThanOrEqual(check.fall * check.intervalMs + check.timeoutMs);
    expect(monitor.isUp(7)).toBe(false);
    monitor.stop();
  });

  it('counts a probe that never answers as failed at its timeout', async () => {
    const { clock, transitions, monitor } = setup(() => 'hang');
    monitor.start([{ id: 1, address: 'a', check, initiallyUp: true }]);
    await clock.advance(2 * check.intervalMs + check.timeoutMs - 1);
    expect(transitions).toHaveLength(0);
    await clock.advance(1);
    expect(transitions).toEqual([expect.objectContaining({ up: false, detail: 'timeout after 300ms', probes: 3 })]);
    monitor.stop();
  });

  it('brings a backend back after `rise` good probes', async () => {
    let ok = false;
    const { clock, transitions, monitor } = setup(() => (ok ? 'ok' : 'fail'));
    monitor.start([{ id: 1, address: 'a', check, initiallyUp: false }]);
    await clock.advance(5_000);
    expect(transitions).toHaveLength(0);
    ok = true;
    const backAt = clock.now();
    await clock.advance(5_000);
    expect(transitions).toEqual([expect.objectContaining({ up: true })]);
    expect(transitions[0]!.at - backAt).toBeLessThanOrEqual(check.rise * check.intervalMs);
    monitor.stop();
  });

  it('stops probing when stopped', async () => {
    const { clock, probes, monitor } = setup(() => 'ok');
    monitor.start([{ id: 1, address: 'a', check, initiallyUp: true }]);
    await clock.advance(1_500);
    monitor.stop();
    const n = probes.length;
    await clock.advance(10_000);
    expect(probes.length).toBe(n);
  });
});
