/**
 * Rollups against a model: whatever sequence of polls (irregular intervals, gap markers, long
 * outages, several appliances, batches), with the store closed cleanly or crashed and reopened
 * in between, the 1-minute and 1-hour series equal what the model computes from the raw points.
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore, SqliteMetricStore, type AgentStore, type Resolution, type SeriesKey } from '../../../src/store/index.js';
import { near, T0, tempDirs } from './support.js';

const newDir = tempDirs();

interface SeriesModel {
  key: SeriesKey;
  kind: 'counter' | 'gauge';
  points: Array<{ ts: number; value: number | null }>;
}

const APPLIANCES: Array<Array<Omit<SeriesModel, 'points'>>> = [
  [
    { key: { appliance: 'a', service: 's', counter: 'bytesIn' }, kind: 'counter' },
    { key: { appliance: 'a', service: 's', counter: 'conns' }, kind: 'counter' },
    { key: { appliance: 'a', service: 's', counter: 'active' }, kind: 'gauge' },
  ],
  [
    { key: { appliance: 'b', counter: 'bytesOut' }, kind: 'counter' },
    { key: { appliance: 'b', backend: '10.0.0.9:80', counter: 'weight' }, kind: 'gauge' },
  ],
];

interface Poll {
  appliance: number;
  /** Seconds since this appliance's previous poll. */
  dt: number;
  values: Array<number | null>;
}
type Op = { poll: Poll } | { flush: true } | { reopen: 'clean' | 'crash' };

const value = (kind: 'counter' | 'gauge') =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 6,
      arbitrary:
        kind === 'counter'
          ? fc.integer({ min: 0, max: 5_000_000 })
          : fc.oneof(fc.integer({ min: -5, max: 500 }), fc.double({ min: -10, max: 10, noNaN: true })),
    },
  );
const poll = (appliance: number): fc.Arbitrary<Op> =>
  fc
    .record({
      appliance: fc.constant(appliance),
      dt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 40 }) }, fc.integer({ min: 41, max: 5_000 })),
      values: fc.tuple(...APPLIANCES[appliance]!.map((s) => value(s.kind))),
    })
    .map((p) => ({ poll: p }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: poll(0) },
  { weight: 6, arbitrary: poll(1) },
  { weight: 3, arbitrary: fc.constant({ flush: true as const }) },
  { weight: 1, arbitrary: fc.constantFrom<Op>({ reopen: 'clean' }, { reopen: 'crash' }) },
);

const bucketOf = (ts: number, width: number) => Math.floor((ts - 1) / width) * width;

/** The model's buckets: counters n = seconds covered, min/max rates; gauges n = readings. */
function modelBuckets(s: SeriesModel, width: number): Map<number, { n: number; sum: number; min: number; max: number }> {
  const out = new Map<number, { n: number; sum: number; min: number; max: number }>();
  s.points.forEach((p, i) => {
    if (p.value === null) return;
    let n = 1;
    let sample = p.value;
    if (s.kind === 'counter') {
      if (i === 0) return;
      n = p.ts - s.points[i - 1]!.ts;
      sample = p.value / n;
    }
    const b = bucketOf(p.ts, width);
    const a = out.get(b);
    if (!a) out.set(b, { n, sum: p.value, min: sample, max: sample });
    else Object.assign(a, { n: a.n + n, sum: a.sum + p.value, min: Math.min(a.min, sample), max: Math.max(a.max, sample) });
  });
  return out;
}

async function check(store: AgentStore, models: SeriesModel[], startS: number, endS: number): Promise<void> {
  for (const s of models) {
    // min/max of counter rates are kept as float32.
    const rel = s.kind === 'counter' ? 1e-6 : 1e-9;
    for (const [resolution, width] of [
      ['1m', 60],
      ['1h', 3600],
    ] as Array<[Resolution, number]>) {
      const r = (await store.metrics.query({ ...s.key, from: startS * 1000, to: endS * 1000, resolution }))!;
      const expected = modelBuckets(s, width);
      expect(r.step).toBe(width * 1000);
      for (const p of r.points) {
        const e = expected.get(p.ts / 1000);
        const where = `${JSON.stringify(s.key)} ${resolution} bucket ${p.ts / 1000}`;
        if (!e) {
          expect(p, where).toEqual({ ts: p.ts, value: null, min: null, max: null, sum: null, n: 0 });
          continue;
        }
        expect(near(p.sum, e.sum), `${where} sum ${p.sum} vs ${e.sum}`).toBe(true);
        expect(near(p.value, e.sum / e.n), `${where} value`).toBe(true);
        expect(p.n, `${where} n`).toBe(e.n);
        expect(near(p.min, e.min, rel), `${where} min ${p.min} vs ${e.min}`).toBe(true);
        expect(near(p.max, e.max, rel), `${where} max ${p.max} vs ${e.max}`).toBe(true);
        expected.delete(p.ts / 1000);
      }
      expect([...expected.keys()], `${JSON.stringify(s.key)} ${resolution}: buckets missing from the grid`).toEqual([]);
    }
    // Raw: every stored point, counters as rates over the interval since the previous point.
    const raw = (await store.metrics.query({ ...s.key, from: startS * 1000, to: endS * 1000, resolution: 'raw' }))!;
    expect(raw.points.map((p) => p.ts / 1000)).toEqual(s.points.map((p) => p.ts));
    raw.points.forEach((p, i) => {
      const m = s.points[i]!;
      const want = m.value === null ? null : s.kind === 'gauge' ? m.value : i === 0 ? null : m.value / (m.ts - s.points[i - 1]!.ts);
      if (want === null) expect(p.value).toBeNull();
      else expect(near(p.value, want)).toBe(true);
    });
  }
}

describe('rollups against a model', () => {
  it('match the model through batches, outages, clean restarts and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), fc.integer({ min: 0, max: 3599 }), async (ops, offset) => {
        const file = path.join(newDir(), 'fulcrum.db');
        let store = await openStore({ file });
        try {
          const models = APPLIANCES.flatMap((list) => list.map((s) => ({ ...s, points: [] as SeriesModel['points'] })));
          for (const m of models) await store.metrics.series(m.key, m.kind);
          const clocks = APPLIANCES.map(() => T0 / 1000 + offset);
          let pending: Array<{ key: SeriesKey; kind: 'counter' | 'gauge'; ts: number; value: number | null }> = [];
          const flush = async () => {
            const ids = await store.metrics.seriesMany(pending.map((p) => ({ key: p.key, kind: p.kind })));
            await store.metrics.write(pending.map((p, i) => ({ series: ids[i]!, ts: p.ts * 1000, value: p.value })));
            pending = [];
          };
          for (const o of ops) {
            if ('poll' in o) {
              const { appliance, dt, values } = o.poll;
              const ts = (clocks[appliance]! += dt);
              APPLIANCES[appliance]!.forEach((s, i) => {
                pending.push({ ...s, ts, value: values[i]! });
                models.find((m) => m.key === s.key)!.points.push({ ts, value: values[i]! });
              });
            } else if ('flush' in o) {
              await flush();
            } else {
              await flush();
              if (o.reopen === 'clean') await store.close();
              // A crash: the file closes under the store, open buckets never reach the disk.
              else (store.metrics as SqliteMetricStore).db.close();
              store = await openStore({ file });
            }
          }
          await flush();
          await check(store, models, T0 / 1000 - 3600, Math.max(...clocks) + 3600);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
