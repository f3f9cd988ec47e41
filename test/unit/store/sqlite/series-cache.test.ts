import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { counterHistory } from '../../../../src/store/history.js';
import { openDatabase } from '../../../../src/store/database.js';
import { openStore, type AgentStore } from '../../../../src/store/index.js';
import { SeriesCache } from '../../../../src/store/sqlite/series-cache.js';
import { T0, tempDirs } from '../support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function stores(count: number): Promise<[AgentStore, ...AgentStore[]]> {
  const file = path.join(newDir(), 'fulcrum.db');
  const out: AgentStore[] = [];
  for (let i = 0; i < count; i++) out.push(await openStore({ file }));
  open.push(...out);
  return out as [AgentStore, ...AgentStore[]];
}

const CONNS = { appliance: 'lb1', service: 'web', counter: 'connsTotal' };
const ACTIVE = { appliance: 'lb1', service: 'web', backend: '10.0.0.2:80', counter: 'connsActive' };
const BYTES = { appliance: 'lb1', counter: 'bytesIn' };
const range = { from: T0 - 60_000, to: T0 + 60_000, resolution: 'raw' as const };

describe("the SQLite dictionary's cache of an appliance's series", () => {
  it('shows a series another connection created after this one had read the appliance', async () => {
    const [a, b] = await stores(2);
    if (!b) throw new Error('two stores asked');
    const conns = await a.metrics.series(CONNS, 'counter');
    expect((await a.metrics.listSeries('lb1')).map((s) => s.counter)).toEqual(['connsTotal']);
    expect(await a.metrics.queryMany('lb1', [ACTIVE], range.from, range.to, 'raw')).toEqual([null]);

    const active = await b.metrics.series(ACTIVE, 'gauge');
    await b.metrics.write([
      { series: conns, ts: T0, value: 4 },
      { series: active, ts: T0, value: 9 },
    ]);

    expect(await a.metrics.listSeries('lb1')).toEqual([
      { ...CONNS, id: conns, kind: 'counter' },
      { ...ACTIVE, id: active, kind: 'gauge' },
    ]);
    const [found] = await a.metrics.queryMany('lb1', [ACTIVE], range.from, range.to, 'raw');
    expect(found?.points.map((p) => [p.ts, p.value])).toEqual([[T0, 9]]);
  });

  it("shows this connection's new series in the next read, and forgets those of a batch rolled back", async () => {
    const [s] = await stores(1);
    await s.metrics.series(CONNS, 'counter');
    expect(await s.metrics.listSeries('lb1')).toHaveLength(1);
    const bytes = await s.metrics.series(BYTES, 'counter');
    expect((await s.metrics.listSeries('lb1')).map((x) => x.id)).toContain(bytes);

    // ACTIVE asked twice under two kinds: the batch that created it rolls back whole.
    await expect(
      s.metrics.seriesMany([
        { key: ACTIVE, kind: 'gauge' },
        { key: ACTIVE, kind: 'counter' },
      ]),
    ).rejects.toThrow(/is a gauge, not a counter/);
    expect((await s.metrics.listSeries('lb1')).map((x) => x.counter)).toEqual(['connsTotal', 'bytesIn']);
    expect(await s.metrics.queryMany('lb1', [ACTIVE], range.from, range.to, 'raw')).toEqual([null]);
  });

  it('hands out a fresh array of series that cannot be changed under the next caller', async () => {
    const [s] = await stores(1);
    await s.metrics.series(CONNS, 'counter');
    const first = await s.metrics.listSeries('lb1');
    expect(() => {
      (first[0] as { counter: string }).counter = 'changed';
    }).toThrow(TypeError);
    first.pop();
    expect((await s.metrics.listSeries('lb1')).map((x) => x.counter)).toEqual(['connsTotal']);
  });

  it('answers a history read with the sample that landed after the previous read', async () => {
    const [s] = await stores(1);
    const conns = await s.metrics.series(CONNS, 'counter');
    await s.metrics.write([{ series: conns, ts: T0 - 10_000, value: null }]);
    await s.metrics.write([{ series: conns, ts: T0, value: 50 }]);
    const before = await counterHistory(s.metrics, 'lb1', { ...range, rate: true });
    expect(before.series[0]!.points).toEqual([
      [T0 - 10_000, null],
      [T0, 5],
    ]);
    await s.metrics.write([{ series: conns, ts: T0 + 20_000, value: 40 }]);
    const after = await counterHistory(s.metrics, 'lb1', { ...range, rate: true });
    expect(after.series[0]!.points).toEqual([
      [T0 - 10_000, null],
      [T0, 5],
      [T0 + 20_000, 2],
    ]);
  });
});

describe('the bound on the appliances whose series the cache keeps', () => {
  it('keeps the appliances used last and reads the others again, so a fleet of any size costs at most its capacity', () => {
    const db = openDatabase(path.join(newDir(), 'fulcrum.db'));
    try {
      const cache = new SeriesCache(db, 2);
      for (const name of ['lb1', 'lb2', 'lb3']) db.prepare('INSERT INTO metric_appliance (name) VALUES (?)').run(name);
      const add = (appliance: number, counter: string) =>
        db
          .prepare(
            "INSERT INTO metric_series (appliance, slot, service, backend, counter, kind) VALUES (?, (SELECT COUNT(*) FROM metric_series WHERE appliance = ?), '', '', ?, 1)",
          )
          .run(appliance, appliance, counter);
      const counters = (appliance: number) => cache.of(appliance).rows.map((r) => r.counter);
      add(1, 'a');
      add(2, 'b');
      expect(counters(1)).toEqual(['a']);
      expect(counters(2)).toEqual(['b']);
      // Rows written on this connection behind the cache's back (its own writes leave data_version
      // as it was): an appliance still kept shows the rows it was read with, one dropped shows all.
      add(1, 'a2');
      add(2, 'b2');
      expect(counters(1)).toEqual(['a']); // used last now: lb2 is the oldest
      expect(counters(3)).toEqual([]); // a third: lb2 goes
      expect(counters(1)).toEqual(['a']);
      expect(counters(2)).toEqual(['b', 'b2']);
      // What the poller reads to resolve series is not kept: a later read sees rows added since.
      const resolved = (appliance: number) => cache.rows(appliance).map((r) => r.counter);
      expect(resolved(3)).toEqual([]);
      add(3, 'c');
      expect(resolved(3)).toEqual(['c']);
      // ...but one kept already is what it answers with.
      expect(resolved(1)).toEqual(['a']);
    } finally {
      db.close();
    }
  });
});

describe('raw points of many series from one decoding of each frame', () => {
  it('gives each series what its own query gives, whatever slots each frame holds', async () => {
    const [s] = await stores(1);
    const ids = await s.metrics.seriesMany([
      { key: CONNS, kind: 'counter' },
      { key: ACTIVE, kind: 'gauge' },
      { key: BYTES, kind: 'counter' },
    ]);
    const [conns, active, bytes] = ids as [number, number, number];
    // Frames that hold every slot, only the middle one, and the first and last.
    await s.metrics.write([
      { series: conns, ts: T0 - 30_000, value: null },
      { series: active, ts: T0 - 30_000, value: 1 },
      { series: bytes, ts: T0 - 30_000, value: null },
    ]);
    await s.metrics.write([{ series: active, ts: T0 - 20_000, value: 2 }]);
    await s.metrics.write([
      { series: conns, ts: T0 - 10_000, value: 40 },
      { series: bytes, ts: T0 - 10_000, value: 2000 },
    ]);
    await s.metrics.write([
      { series: conns, ts: T0, value: 10 },
      { series: active, ts: T0, value: 3 },
      { series: bytes, ts: T0, value: 100 },
    ]);
    const keys = [BYTES, { service: 'web', counter: 'nothing' }, CONNS, ACTIVE];
    const many = await s.metrics.queryMany('lb1', keys, T0 - 15_000, T0, 'raw');
    const one = await Promise.all(keys.map((k) => s.metrics.query({ appliance: 'lb1', ...k, from: T0 - 15_000, to: T0, resolution: 'raw' })));
    expect(many).toEqual(one);
    expect(many[1]).toBeNull();
    expect(many[0]!.points.map((p) => [p.ts, p.value, p.n])).toEqual([
      // The frame before the range holds no bytesIn: the first delta's start is unknown.
      [T0 - 10_000, null, 0],
      [T0, 10, 10],
    ]);
    expect(many[3]!.points.map((p) => [p.ts, p.value])).toEqual([[T0, 3]]);
  });
});
