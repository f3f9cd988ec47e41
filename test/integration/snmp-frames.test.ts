/**
 * Frames against the simulator's SNMP agent: a poll read into a frame — learnt from an ordinary
 * walk, then read by layout from the raw answers (v2c), or learnt every time (v3) — carries the
 * readings snapshotReadings takes from the ordinary poll of the same appliance: same names,
 * widths, values. Then the Monitor lands the same points through either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import type { PolledFrame } from '../../drivers/snmp/frame-poller.js';
import { snapshotReadings, readingName } from '../../src/poller/snapshot.js';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';

const V3 = { version: '3' as const, user: 'ops', authKey: 'auth-pass-1', privKey: 'priv-pass-1' };

/** A frame's readings by name: counters as bigint (halves joined), gauges as numbers. */
function frameReadings(f: PolledFrame): { counters: Map<string, { value: bigint; width: number }>; gauges: Map<string, number> } {
  const name = (k: { service?: string; backend?: string; counter: string }) => readingName({ appliance: 'x', ...k });
  const counters = new Map(
    f.layout.counters.map((k, i) => [name(k), { value: (BigInt(f.frame.counters[2 * i]!) << 32n) | BigInt(f.frame.counters[2 * i + 1]!), width: k.width }]),
  );
  const gauges = new Map(f.layout.gauges.map((k, i) => [name(k), f.frame.gauges[i]!]));
  return { counters, gauges };
}

describe('SNMP frames against the simulator', () => {
  let sim: SimulatedAppliance;
  let backends: HttpBackend[];
  let target: string;
  beforeAll(async () => {
    backends = await startHttpBackends(3);
    const vips = [await freePort(), await freePort()];
    const rules = loadRules(
      `services:\n` +
        `  - name: web\n    listen: 127.0.0.1:${vips[0]}\n    backends:\n      - { address: ${backends[0]!.address}, weight: 3 }\n      - { address: ${backends[1]!.address} }\n` +
        `  - name: api\n    listen: 127.0.0.1:${vips[1]}\n    backends:\n      - { address: ${backends[2]!.address}, state: drain }\n`,
      'w.yaml',
    );
    sim = await SimulatedAppliance.start({
      name: 'frames-1',
      rules,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: false } },
    });
    target = `snmp://${sim.readyInfo().snmp}`;
    expect((await httpLoad('127.0.0.1', vips[0]!, 30, 4)).failed).toBe(0);
    // The agent serves a snapshot at most 1 s old; no traffic after this, so counters hold still.
    await new Promise((r) => setTimeout(r, 1_200));
  });
  afterAll(async () => {
    await sim.stop();
    await Promise.all(backends.map((b) => b.kill()));
  });

  it('carries the readings of the ordinary poll, learnt then read by layout (v2c), and learnt each time (v3)', async () => {
    for (const credentials of [{ version: '2c' as const, community: 'public' }, V3]) {
      const d = SnmpDriver.connect(target, credentials);
      try {
        const want = snapshotReadings('x', (await d.poll()).snapshot);
        expect([...want.counters.values()].some((c) => c.value > 0n)).toBe(true);
        const layouts = new Set<unknown>();
        for (let i = 0; i < 3; i++) {
          const polled = await d.pollFrame();
          expect('frame' in polled).toBe(true);
          const f = polled as PolledFrame;
          layouts.add(f.layout);
          const got = frameReadings(f);
          expect(got.counters).toEqual(new Map([...want.counters].map(([k, c]) => [k, { value: c.value, width: c.width }])));
          expect(got.gauges).toEqual(want.gauges);
          expect(f.sysUpTime).toBeGreaterThan(0);
        }
        // v2c keeps the layout it learnt; v3 learns each time (net-snmp decodes its answers).
        expect(layouts.size).toBe(credentials.version === '2c' ? 1 : 3);
      } finally {
        await d.close();
      }
    }
  });
});
