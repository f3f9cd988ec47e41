import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDatabasePath, openStore, SqliteMetricStore, type AgentStore } from '../../../src/store/index.js';
import { T0, tempDirs } from './support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
// close() is idempotent: a test may have closed its store itself.
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function store(file = path.join(newDir(), 'fulcrum.db')): Promise<AgentStore> {
  const s = await openStore({ file });
  open.push(s);
  return s;
}

const BYTES = { appliance: 'lb1', service: 'web', counter: 'bytesIn' };
const ACTIVE = { appliance: 'lb1', service: 'web', backend: '10.0.0.2:80', counter: 'connsActive' };

describe('metric store: dictionary', () => {
  it('gives each series a stable id, kept across reopening', async () => {
    const file = path.join(newDir(), 'fulcrum.db');
    const s = await store(file);
    const a = await s.metrics.series(BYTES, 'counter');
    const b = await s.metrics.series(ACTIVE, 'gauge');
    expect(await s.metrics.series(BYTES, 'counter')).toBe(a);
    expect(b).not.toBe(a);
    await s.close();
    const again = await store(file);
    expect(await again.metrics.series(ACTIVE, 'gauge')).toBe(b);
    expect(await again.metrics.listSeries('lb1')).toEqual([
      { ...BYTES, id: a, kind: 'counter' },
      { ...ACTIVE, id: b, kind: 'gauge' },
    ]);
    expect(await again.metrics.listSeries('nobody')).toEqual([]);
  });

  it('refuses a series under another kind, and empty names', async () => {
    const s = await store();
    await s.metrics.series(BYTES, 'counter');
    await expect(s.metrics.series(BYTES, 'gauge')).rejects.toThrow(/is a counter, not a gauge/);
    await expect(s.metrics.series({ appliance: '', counter: 'x' }, 'gauge')).rejects.toThrow(TypeError);
    await expect(s.metrics.series({ appliance: 'a', counter: '' }, 'gauge')).rejects.toThrow(TypeError);
  });
});

describe('metric store: many series at once', () => {
  it('creates a batch in one go, answers repeats with the same id, and rolls back whole on a kind conflict', async () => {
    const s = await store();
    const keys = Array.from({ length: 300 }, (_, i) => ({
      key: { appliance: `lb${i % 3}`, backend: `10.0.0.${i}:80`, counter: 'bytesIn' },
      kind: 'counter' as const,
    }));
    const ids = await s.metrics.seriesMany([...keys, keys[0]!]);
    expect(new Set(ids).size).toBe(300);
    expect(ids[300]).toBe(ids[0]);
    expect(await s.metrics.seriesMany(keys)).toEqual(ids.slice(0, 300));
    expect(await s.metrics.listSeries('lb1')).toHaveLength(100);

    const conflict = [
      { key: { appliance: 'new', counter: 'x' }, kind: 'gauge' as const },
      { key: keys[5]!.key, kind: 'gauge' as const },
    ];
    await expect(s.metrics.seriesMany(conflict)).rejects.toThrow(/is a counter, not a gauge/);
    expect(await s.metrics.listSeries('new')).toEqual([]);
  });

  it('recovers cleanly after a batch is rolled back', async () => {
    const file = path.join(newDir(), 'fulcrum.db');
    const s = await store(file);
    const [a] = await s.metrics.seriesMany([{ key: { appliance: 'lb', counter: 'c' }, kind: 'counter' }]);
    await s.metrics.write([{ series: a!, ts: T0, value: null }]);
    await s.close();
    const again = await store(file);
    // Not cached in this store: the conflict is found in the database, inside the transaction.
    await expect(
      again.metrics.seriesMany([
        { key: { appliance: 'lb', counter: 'fresh' }, kind: 'gauge' },
        { key: { appliance: 'lb', counter: 'c' }, kind: 'gauge' },
      ]),
    ).rejects.toThrow(/not a gauge/);
    const [fresh, c] = await again.metrics.seriesMany([
      { key: { appliance: 'lb', counter: 'fresh' }, kind: 'gauge' },
      { key: { appliance: 'lb', counter: 'c' }, kind: 'counter' },
    ]);
    expect(c).toBe(a);
    await again.metrics.write([
      { series: c!, ts: T0 + 10_000, value: 50 },
      { series: fresh!, ts: T0 + 10_000, value: 1 },
    ]);
    expect((await again.metrics.query({ appliance: 'lb', counter: 'c', from: T0, to: T0 + 10_000, resolution: 'raw' }))!.points.map((p) => p.value)).toEqual([
      null,
      5,
    ]);
  });
});

describe('metric store: raw samples', () => {
  it('round-trips deltas as rates, readings as they were, and gap markers as nulls', async () => {
    const s = await store();
    const bytes = await s.metrics.series(BYTES, 'counter');
    const active = await s.metrics.series(ACTIVE, 'gauge');
    const deltas = [null, 1000, 2500n, null, 0, 2n ** 60n];
    const readings = [3, 4.5, null, -2, 0, 7];
    const points = deltas.flatMap((d, i) => [
      { series: bytes, ts: T0 + i * 10_000, value: d },
      { series: active, ts: T0 + i * 10_000, value: readings[i]! },
    ]);
    expect(await s.metrics.write(points)).toEqual({ written: 12, stale: 0 });

    const raw = (await s.metrics.query({ ...BYTES, from: T0, to: T0 + 60_000, resolution: 'raw' }))!;
    expect(raw).toMatchObject({ kind: 'counter', resolution: 'raw', step: null });
    expect(raw.points.map((p) => p.ts)).toEqual(deltas.map((_, i) => T0 + i * 10_000));
    expect(raw.points.map((p) => p.value)).toEqual([null, 100, 250, null, 0, 2 ** 60 / 10]);
    expect(raw.points.map((p) => p.sum)).toEqual([null, 1000, 2500, null, 0, 2 ** 60]);

    const gauge = (await s.metrics.query({ ...ACTIVE, from: T0, to: T0 + 60_000, resolution: 'raw' }))!;
    expect(gauge.points.map((p) => p.value)).toEqual(readings);
  });

  it('starts a rate from the sample just before the range, and says null when there is none', async () => {
    const s = await store();
    const bytes = await s.metrics.series(BYTES, 'counter');
    await s.metrics.write([0, 1, 2, 3].map((i) => ({ series: bytes, ts: T0 + i * 20_000, value: 400 })));
    const inner = (await s.metrics.query({ ...BYTES, from: T0 + 30_000, to: T0 + 60_000, resolution: 'raw' }))!;
    expect(inner.points).toEqual([
      { ts: T0 + 40_000, value: 20, min: 20, max: 20, sum: 400, n: 20 },
      { ts: T0 + 60_000, value: 20, min: 20, max: 20, sum: 400, n: 20 },
    ]);
    // The very first delta has no start: its increase is kept, its rate is unknown.
    expect((await s.metrics.query({ ...BYTES, from: T0, to: T0, resolution: 'raw' }))!.points[0]).toMatchObject({ value: null, sum: 400, n: 0 });
  });

  it('writes many appliances in one batch and answers each from its own frames', async () => {
    const s = await store();
    const ids = await Promise.all(Array.from({ length: 5 }, (_, a) => s.metrics.series({ appliance: `lb${a}`, counter: 'connsTotal' }, 'counter')));
    const batch = (t: number, k: number) => ids.map((series, a) => ({ series, ts: t, value: k === 0 ? null : (a + 1) * 10 }));
    await s.metrics.write([...batch(T0, 0), ...batch(T0 + 10_000, 1)]);
    for (let a = 0; a < 5; a++) {
      const r = (await s.metrics.query({ appliance: `lb${a}`, counter: 'connsTotal', from: T0, to: T0 + 10_000, resolution: 'raw' }))!;
      expect(r.points.map((p) => p.value)).toEqual([null, a + 1]);
    }
  });

  it('accepts points in any order within a batch and keeps the last of duplicates', async () => {
    const s = await store();
    const [x, y] = [await s.metrics.series({ appliance: 'a', counter: 'x' }, 'gauge'), await s.metrics.series({ appliance: 'a', counter: 'y' }, 'gauge')];
    const summary = await s.metrics.write([
      { series: y, ts: T0 + 10_000, value: 2 },
      { series: x, ts: T0, value: 1 },
      { series: x, ts: T0 + 10_000, value: 5 },
      { series: y, ts: T0 + 10_000, value: 3 },
    ]);
    expect(summary).toEqual({ written: 3, stale: 1 });
    expect((await s.metrics.query({ appliance: 'a', counter: 'y', from: T0, to: T0 + 10_000, resolution: 'raw' }))!.points.map((p) => p.value)).toEqual([3]);
  });

  it('drops points not newer than their appliance’s last frame, and says so', async () => {
    const s = await store();
    const g = await s.metrics.series({ appliance: 'a', counter: 'g' }, 'gauge');
    await s.metrics.write([{ series: g, ts: T0 + 10_000, value: 1 }]);
    expect(
      await s.metrics.write([
        { series: g, ts: T0 + 10_500, value: 2 },
        { series: g, ts: T0, value: 3 },
      ]),
    ).toEqual({ written: 0, stale: 2 });
  });

  it('refuses a bad batch whole, before writing anything', async () => {
    const s = await store();
    const c = await s.metrics.series({ appliance: 'a', counter: 'c' }, 'counter');
    const g = await s.metrics.series({ appliance: 'a', counter: 'g' }, 'gauge');
    const good = { series: g, ts: T0, value: 1 };
    await expect(s.metrics.write([good, { series: c, ts: T0, value: -1 }])).rejects.toThrow(/non-negative integer delta/);
    await expect(s.metrics.write([good, { series: c, ts: T0, value: 1.5 }])).rejects.toThrow(RangeError);
    await expect(s.metrics.write([good, { series: g, ts: T0, value: Number.NaN }])).rejects.toThrow(/not a finite number/);
    await expect(s.metrics.write([good, { series: 999, ts: T0, value: 1 }])).rejects.toThrow(/unknown series id 999/);
    await expect(s.metrics.write([{ series: g, ts: Number.NaN, value: 1 }])).rejects.toThrow(RangeError);
    expect((await s.metrics.query({ appliance: 'a', counter: 'g', from: 0, to: T0 * 2, resolution: 'raw' }))!.points).toEqual([]);
  });

  it('answers null for an unknown series and refuses an unknown resolution', async () => {
    const s = await store();
    expect(await s.metrics.query({ appliance: 'x', counter: 'y', from: 0, to: 1, resolution: 'raw' })).toBeNull();
    await s.metrics.series(BYTES, 'counter');
    await expect(s.metrics.query({ ...BYTES, from: 0, to: 1, resolution: '5m' as never })).rejects.toThrow(/unknown resolution/);
    await expect(s.metrics.query({ ...BYTES, from: 0, to: 1e13, resolution: '1m' })).rejects.toThrow(/coarser resolution/);
  });
});

describe('event log', () => {
  it('appends events and queries them by appliance, kind and time', async () => {
    const s = await store();
    const m = s.events;
    await m.append({ ts: T0, appliance: 'lb1', kind: 'backend-down', detail: { backend: '10.0.0.2:80', counter: 5n } });
    await m.append({ ts: T0 + 1000, appliance: 'lb2', kind: 'commit', detail: { configId: 'ab'.repeat(32) } });
    await m.append({ ts: T0 + 2000, appliance: 'lb1', kind: 'backend-up' });
    expect((await m.query()).map((e) => e.kind)).toEqual(['backend-down', 'commit', 'backend-up']);
    expect((await m.query({ appliance: 'lb1' })).map((e) => e.kind)).toEqual(['backend-down', 'backend-up']);
    expect((await m.query({ kind: 'commit' }))[0]).toMatchObject({ appliance: 'lb2', ts: T0 + 1000, detail: { configId: 'ab'.repeat(32) } });
    expect((await m.query({ from: T0 + 500, to: T0 + 1500 })).map((e) => e.appliance)).toEqual(['lb2']);
    expect((await m.query({ order: 'desc', limit: 1 }))[0]).toMatchObject({ kind: 'backend-up', detail: null });
    expect((await m.query({ appliance: 'lb1', limit: 1 }))[0]!.detail).toEqual({ backend: '10.0.0.2:80', counter: '5' });
    await expect(m.append({ ts: T0, appliance: '', kind: 'x' })).rejects.toThrow(TypeError);
    await expect(m.append({ ts: Number.NaN, appliance: 'a', kind: 'x' })).rejects.toThrow(RangeError);
  });
});

describe('metric store: the file', () => {
  it('defaults to $FULCRUM_HOME/fulcrum.db, created mode 0600, WAL and all', async () => {
    const home = newDir();
    const saved = process.env.FULCRUM_HOME;
    process.env.FULCRUM_HOME = path.join(home, 'agent');
    try {
      expect(defaultDatabasePath()).toBe(path.join(home, 'agent', 'fulcrum.db'));
      const s = SqliteMetricStore.open();
      const g = await s.series({ appliance: 'a', counter: 'g' }, 'gauge');
      await s.write([{ series: g, ts: T0, value: 1 }]);
      expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(s.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(statSync(path.join(home, 'agent', 'fulcrum.db')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(home, 'agent', 'fulcrum.db-wal')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(home, 'agent')).mode & 0o777).toBe(0o700);
      await s.close();
      expect(s.db.open).toBe(false);
      await expect(s.write([])).rejects.toThrow(/closed/);
    } finally {
      if (saved === undefined) delete process.env.FULCRUM_HOME;
      else process.env.FULCRUM_HOME = saved;
    }
  });

  it('refuses a raw retention shorter than the rollup hour it rebuilds from', async () => {
    const file = path.join(newDir(), 'fulcrum.db');
    expect(() => SqliteMetricStore.open(file, { retention: { raw: 60_000 } })).toThrow(/at least one hour/);
    expect(() => SqliteMetricStore.open(file, { retention: { minute: -1 } })).toThrow(/positive/);
  });
});
