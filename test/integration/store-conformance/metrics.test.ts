/** The metric store — dictionary, frames, raw and rollup queries, retention — answers the same on every engine. */
import { expect, it } from 'vitest';
import { describeEachEngine } from './engines.js';

/** On the hour, so bucket arithmetic reads easily. */
const T0 = Date.UTC(2025, 5, 15);
const BYTES = { appliance: 'lb1', service: 'web', counter: 'bytesIn' };
const ACTIVE = { appliance: 'lb1', service: 'web', backend: '10.0.0.2:80', counter: 'connsActive' };

describeEachEngine('store conformance: metrics', ({ open, reopen }) => {
  it('gives each series a stable id, lists an appliance in creation order, and refuses another kind', async () => {
    const s = await open();
    const a = await s.metrics.series(BYTES, 'counter');
    const b = await s.metrics.series(ACTIVE, 'gauge');
    expect(await s.metrics.series(BYTES, 'counter')).toBe(a);
    expect(await s.metrics.listSeries('lb1')).toEqual([
      { ...BYTES, id: a, kind: 'counter' },
      { ...ACTIVE, id: b, kind: 'gauge' },
    ]);
    expect(await s.metrics.listSeries('nobody')).toEqual([]);
    await expect(s.metrics.series(BYTES, 'gauge')).rejects.toThrow(/is a counter, not a gauge/);
    await expect(s.metrics.series({ appliance: '', counter: 'x' }, 'gauge')).rejects.toThrow(TypeError);
    await s.close();
    const again = await reopen(s);
    expect(await again.metrics.series(ACTIVE, 'gauge')).toBe(b);
  });

  it('creates a batch of series at once and creates nothing when one of them conflicts', async () => {
    const s = await open();
    const keys = Array.from({ length: 30 }, (_, i) => ({
      key: { appliance: `lb${i % 3}`, backend: `10.0.0.${i}:80`, counter: 'bytesIn' },
      kind: 'counter' as const,
    }));
    const ids = await s.metrics.seriesMany([...keys, keys[0]!]);
    expect(new Set(ids).size).toBe(30);
    expect(ids[30]).toBe(ids[0]);
    expect(await s.metrics.seriesMany(keys)).toEqual(ids.slice(0, 30));
    await expect(
      s.metrics.seriesMany([
        { key: { appliance: 'new', counter: 'x' }, kind: 'gauge' },
        { key: keys[5]!.key, kind: 'gauge' },
      ]),
    ).rejects.toThrow(/is a counter, not a gauge/);
    expect(await s.metrics.listSeries('new')).toEqual([]);
  });

  it('stores points, counts stale ones, and answers raw points with counter rates', async () => {
    const s = await open();
    const [bytes, active] = await s.metrics.seriesMany([
      { key: BYTES, kind: 'counter' },
      { key: ACTIVE, kind: 'gauge' },
    ]);
    expect(
      await s.metrics.write([
        { series: bytes!, ts: T0, value: null },
        { series: active!, ts: T0, value: 3 },
      ]),
    ).toEqual({ written: 2, stale: 0 });
    expect(
      await s.metrics.write([
        { series: bytes!, ts: T0 + 10_000, value: 5000 },
        { series: active!, ts: T0 + 10_000, value: 2.5 },
      ]),
    ).toEqual({ written: 2, stale: 0 });
    // The same second again, and an earlier one: stale.
    expect(
      await s.metrics.write([
        { series: bytes!, ts: T0 + 10_400, value: 1 },
        { series: bytes!, ts: T0 + 5000, value: 1 },
      ]),
    ).toEqual({ written: 0, stale: 2 });
    await expect(s.metrics.write([{ series: bytes!, ts: T0 + 20_000, value: -1 }])).rejects.toThrow(RangeError);
    await expect(s.metrics.write([{ series: 999_999, ts: T0 + 20_000, value: 1 }])).rejects.toThrow(RangeError);
    expect(await s.metrics.write([{ series: bytes!, ts: T0 + 20_000, value: 10n ** 18n }])).toEqual({ written: 1, stale: 0 });

    const raw = await s.metrics.query({ ...BYTES, from: T0, to: T0 + 20_000, resolution: 'raw' });
    expect(raw).toMatchObject({ key: BYTES, kind: 'counter', resolution: 'raw', step: null });
    expect(raw!.points).toEqual([
      { ts: T0, value: null, min: null, max: null, sum: null, n: 0 },
      { ts: T0 + 10_000, value: 500, min: 500, max: 500, sum: 5000, n: 10 },
      { ts: T0 + 20_000, value: 1e17, min: 1e17, max: 1e17, sum: 1e18, n: 10 },
    ]);
    // The first delta in range still has its start, from the frame before the range.
    const later = await s.metrics.query({ ...BYTES, from: T0 + 5000, to: T0 + 10_000, resolution: 'raw' });
    expect(later!.points.map((p) => p.value)).toEqual([500]);
    const gauge = await s.metrics.query({ ...ACTIVE, from: T0, to: T0 + 60_000, resolution: 'raw' });
    expect(gauge!.points.map((p) => [p.ts, p.value, p.n])).toEqual([
      [T0, 3, 1],
      [T0 + 10_000, 2.5, 1],
    ]);
    expect(await s.metrics.query({ ...BYTES, counter: 'nope', from: T0, to: T0 + 1, resolution: 'raw' })).toBeNull();
  });

  it('rolls up into 1-minute and 1-hour buckets, the open ones included, also after a reopen', async () => {
    const s = await open();
    const [bytes, active] = await s.metrics.seriesMany([
      { key: BYTES, kind: 'counter' },
      { key: ACTIVE, kind: 'gauge' },
    ]);
    // Every 10 s for three minutes: 100 bytes per poll (10 B/s), gauge i % 4.
    for (let i = 0; i <= 18; i++) {
      await s.metrics.write([
        { series: bytes!, ts: T0 + i * 10_000, value: i === 0 ? null : 100 },
        { series: active!, ts: T0 + i * 10_000, value: i % 4 },
      ]);
    }
    const expectMinutes = async (store: typeof s) => {
      const m = await store.metrics.query({ ...BYTES, from: T0 + 1, to: T0 + 180_000, resolution: '1m' });
      expect(m!.step).toBe(60_000);
      expect(m!.points.map((p) => [p.ts, p.value, p.sum, p.n])).toEqual([
        [T0, 10, 600, 60],
        [T0 + 60_000, 10, 600, 60],
        [T0 + 120_000, 10, 600, 60],
      ]);
      const g = await store.metrics.query({ ...ACTIVE, from: T0 + 1, to: T0 + 180_000, resolution: '1m' });
      expect(g!.points.map((p) => [p.min, p.max, p.n])).toEqual([
        [0, 3, 6],
        [0, 3, 6],
        [0, 3, 6],
      ]);
      const h = await store.metrics.query({ ...BYTES, from: T0 + 1, to: T0 + 3_600_000, resolution: '1h' });
      expect(h!.points).toEqual([{ ts: T0, value: 10, min: 10, max: 10, sum: 1800, n: 180 }]);
    };
    await expectMinutes(s);
    await s.close();
    const again = await reopen(s);
    await expectMinutes(again);
    // Writing on after the reopen closes the minute and hour that were open, with nothing lost.
    await again.metrics.write([{ series: bytes!, ts: T0 + 3_610_000, value: 100 }]);
    const h = await again.metrics.query({ ...BYTES, from: T0 + 1, to: T0 + 7_200_000, resolution: '1h' });
    expect(h!.points.map((p) => [p.sum, p.n])).toEqual([
      [1800, 180],
      [100, 3430],
    ]);
  });

  it('answers several series of an appliance at once, null for unknown ones, in the order asked', async () => {
    const s = await open();
    const [bytes, active] = await s.metrics.seriesMany([
      { key: BYTES, kind: 'counter' },
      { key: ACTIVE, kind: 'gauge' },
    ]);
    await s.metrics.write([
      { series: bytes!, ts: T0, value: null },
      { series: active!, ts: T0, value: 7 },
    ]);
    await s.metrics.write([{ series: bytes!, ts: T0 + 30_000, value: 300 }]);
    const [a, missing, b] = await s.metrics.queryMany('lb1', [ACTIVE, { counter: 'nope' }, BYTES], T0, T0 + 30_000, 'raw');
    expect(missing).toBeNull();
    expect(a!.points.map((p) => p.value)).toEqual([7]);
    expect(b!.points.map((p) => p.value)).toEqual([null, 10]);
    expect(await s.metrics.queryMany('nobody', [BYTES], T0, T0 + 1, 'raw')).toEqual([null]);
    await expect(s.metrics.queryMany('lb1', [BYTES], T0, T0 + 1, '5m' as '1m')).rejects.toThrow(RangeError);
  });

  it('prunes what is older than each retention', async () => {
    const DAY = 86_400_000;
    const s = await open();
    const bytes = await s.metrics.series(BYTES, 'counter');
    await s.metrics.write([{ series: bytes, ts: T0 + 10_000, value: null }]);
    await s.metrics.write([{ series: bytes, ts: T0 + 70_000, value: 60 }]);
    await s.metrics.write([{ series: bytes, ts: T0 + 3 * DAY + 10_000, value: 60 }]);
    const summary = await s.prune(T0 + 3 * DAY + 20_000);
    // Raw kept a day: both old frames go. The 1-minute bucket of T0 is younger than 30 days.
    expect(summary).toMatchObject({ raw: 2, minute: 0, hour: 0 });
    const raw = await s.metrics.query({ ...BYTES, from: T0, to: T0 + 4 * DAY, resolution: 'raw' });
    expect(raw!.points.map((p) => p.ts)).toEqual([T0 + 3 * DAY + 10_000]);
    const minutes = await s.metrics.query({ ...BYTES, from: T0 + 1, to: T0 + 120_000, resolution: '1m' });
    expect(minutes!.points.map((p) => p.sum)).toEqual([null, 60]);
    const later = await s.prune(T0 + 40 * DAY);
    expect(later.minute).toBeGreaterThanOrEqual(1);
    expect((await s.metrics.query({ ...BYTES, from: T0 + 1, to: T0 + 120_000, resolution: '1m' }))!.points.map((p) => p.sum)).toEqual([null, null]);
  });
});
