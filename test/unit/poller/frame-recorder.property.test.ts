/**
 * The frame recorder (typed arrays per layout) against the snapshot recorder it stands in for:
 * the same polls of the same appliance — counters near their 32- and 64-bit limits, wraps,
 * resets, reboots, missed polls, two polls in a second, a rule-table change that adds, drops and
 * reorders readings — give the same points, series for series, null for null, value for value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameLayout } from '../../../drivers/snmp/frame-layout.js';
import { newFrame } from '../../../drivers/snmp/frame-decoder.js';
import { FrameRecorder } from '../../../src/poller/frame-recorder.js';
import { PollRecorder } from '../../../src/poller/recorder.js';
import { readingName, snapshotReadings } from '../../../src/poller/snapshot.js';
import type { CountersSnapshot } from '../../../src/protocol/counters.js';
import type { MetricStore, SeriesKey } from '../../../src/store/metric-store.js';

const TWO_64 = 1n << 64n;
const TWO_32 = 1n << 32n;

/** Series ids by reading name, as a store hands them out: stable for a key. */
function fakeStore(): MetricStore {
  const ids = new Map<string, number>();
  const id = (key: SeriesKey) => {
    const name = readingName(key);
    if (!ids.has(name)) ids.set(name, ids.size + 1);
    return ids.get(name)!;
  };
  return { seriesMany: async (requests: ReadonlyArray<{ key: SeriesKey }>) => requests.map((r) => id(r.key)) } as unknown as MetricStore;
}

/** The layout and frame a driver would give for `snapshot` (keys and widths as snapshotReadings has them). */
function asFrame(snapshot: CountersSnapshot, layouts: Map<string, FrameLayout>) {
  const r = snapshotReadings('lb1', snapshot);
  const strip = (k: SeriesKey) => ({
    ...(k.service !== undefined ? { service: k.service } : {}),
    ...(k.backend !== undefined ? { backend: k.backend } : {}),
    counter: k.counter,
  });
  const counters = [...r.counters].map(([name, c]) => ({ ...strip(r.keys.get(name)!), width: c.width }));
  const gauges = [...r.gauges.keys()].map((name) => strip(r.keys.get(name)!));
  // One layout object per distinct shape, as a driver keeps it while the rule table holds.
  const shape = JSON.stringify([counters, gauges]);
  let layout = layouts.get(shape);
  if (!layout) layouts.set(shape, (layout = { counters, gauges, interfaces: [] } as unknown as FrameLayout));
  const frame = newFrame(layout);
  [...r.counters.values()].forEach((c, i) => {
    frame.counters[2 * i] = Number(c.value >> 32n);
    frame.counters[2 * i + 1] = Number(c.value & 0xffffffffn);
  });
  [...r.gauges.values()].forEach((g, i) => (frame.gauges[i] = g));
  return { layout, frame };
}

const edge64 = fc.oneof(
  fc.bigInt(0n, TWO_64 - 1n),
  fc.constantFrom(0n, TWO_32 - 1n, TWO_32, (1n << 53n) + 1n, TWO_64 - 2n, TWO_64 - 1n),
  fc.bigInt(0n, 1_000_000n),
);
const edge32 = fc.oneof(fc.bigInt(0n, TWO_32 - 1n), fc.constantFrom(0n, TWO_32 - 1n, TWO_32 - 1000n));

const backend = fc.record({
  address: fc.constantFrom('10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'),
  connsTotal: edge64,
  bytesIn: edge64,
  up: fc.boolean(),
  weight: fc.integer({ min: 0, max: 65535 }),
});
const poll = fc.record({
  dtMs: fc.oneof(fc.integer({ min: 9_000, max: 11_000 }), fc.integer({ min: 0, max: 60_000 }), fc.constantFrom(0, 300, 1000)),
  upDeltaMs: fc.oneof(fc.constant(null), fc.integer({ min: -20_000, max: 70_000 })),
  base: edge64,
  grow: fc.oneof(fc.bigInt(0n, 10n ** 9n), fc.bigInt(0n, 10n ** 14n), fc.constant(0n)),
  if32: edge32,
  backends: fc.uniqueArray(backend, { maxLength: 3, selector: (b) => b.address }),
  hc: fc.boolean(),
});

type Poll = typeof poll extends fc.Arbitrary<infer T> ? T : never;

function snapshotOf(p: Poll, counter: bigint): CountersSnapshot {
  const v = (x: bigint) => (x + counter) % TWO_64;
  return {
    services: [
      {
        name: 'web',
        listen: '192.0.2.1:80',
        protocol: 'tcp' as const,
        connsTotal: v(p.base),
        connsActive: 3,
        bytesIn: v(p.base * 2n),
        bytesOut: v(0n),
        failures: v(TWO_64 - 1n),
        fallbackConns: 0n,
        backends: p.backends.map((b) => ({
          address: b.address,
          state: b.up ? ('up' as const) : ('down' as const),
          weight: b.weight,
          backup: false,
          connsTotal: v(b.connsTotal),
          connsActive: 1,
          bytesIn: v(b.bytesIn),
          bytesOut: 0n,
          connectFailures: 0n,
          lastChange: 0,
        })),
      },
    ],
    interfaces: [
      { name: 'data0', inOctets32: Number((p.if32 + counter) % TWO_32), outOctets32: 7, hcInOctets: p.hc ? v(p.base) : null, hcOutOctets: p.hc ? 1n : null },
    ],
  };
}

describe('frame recorder', () => {
  it('lands the points the snapshot recorder lands, for any run of polls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(poll, { minLength: 1, maxLength: 12 }), async (polls) => {
        const options = { expectedIntervalMs: 10_000 };
        const store = fakeStore();
        const old = new PollRecorder(store, options);
        const frames = new FrameRecorder(store, options);
        const layouts = new Map<string, FrameLayout>();
        let timeMs = 1_700_000_000_000;
        let upMs = 5_000_000;
        let grown = 0n;
        for (const p of polls) {
          timeMs += p.dtMs;
          upMs = p.upDeltaMs === null ? upMs + p.dtMs : Math.max(0, upMs + p.upDeltaMs);
          grown += p.grow;
          const snapshot = snapshotOf(p, grown);
          const sysUpTime = Math.floor(upMs / 10) % 2 ** 32;
          const expected = (await old.record({ appliance: 'lb1', timeMs, sysUpTime, snapshot })).points;
          const { layout, frame } = asFrame(snapshot, layouts);
          const got = await frames.record({ appliance: 'lb1', timeMs, sysUpTime, layout, frame });
          expect(got.map((x) => [x.series, x.ts, x.value === null ? null : Number(x.value)])).toEqual(
            expected.map((x) => [x.series, x.ts, x.value === null ? null : Number(x.value)]),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
