import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type AgentStore } from '../../../src/store/index.js';
import { inspect, T0, tempDirs } from './support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const RETENTION = { raw: 2 * HOUR, minute: DAY, hour: 3 * DAY, events: DAY };
const KEY = { appliance: 'lb1', counter: 'connsTotal' };

const tsColumn = (s: AgentStore, table: string) =>
  inspect(s, (db) => db.prepare(`SELECT ts FROM ${table} ORDER BY ts`).all() as Array<{ ts: number }>).map((r) => r.ts);

describe('retention', () => {
  it('prunes exactly the rows older than each resolution keeps, and nothing newer', async () => {
    const s = await openStore({ file: path.join(newDir(), 'fulcrum.db'), retention: RETENTION });
    open.push(s);
    const counter = await s.metrics.series(KEY, 'counter');
    const other = await s.metrics.series({ appliance: 'lb2', counter: 'g' }, 'gauge');
    // Four days of polls every minute, a delta of 60 each time (1/s), written an hour per batch.
    const end = T0 + 4 * DAY;
    for (let hourStart = T0; hourStart < end; hourStart += HOUR) {
      const points = [];
      for (let t = hourStart; t < hourStart + HOUR; t += 60_000) {
        points.push({ series: counter, ts: t, value: t === T0 ? null : 60 }, { series: other, ts: t, value: 1 });
      }
      await s.metrics.write(points);
    }
    for (let d = 0; d < 4; d++) await s.events.append({ ts: T0 + d * DAY, appliance: 'lb1', kind: 'backend-down' });
    const before = { raw: tsColumn(s, 'sample_raw'), minute: tsColumn(s, 'sample_1m'), hour: tsColumn(s, 'sample_1h') };
    const hourly = (await s.metrics.query({ ...KEY, from: end - 2 * DAY, to: end, resolution: '1h' }))!;

    const now = end;
    const cut = (ms: number) => Math.floor((now - ms) / 1000);
    const summary = await s.prune(now);
    const after = { raw: tsColumn(s, 'sample_raw'), minute: tsColumn(s, 'sample_1m'), hour: tsColumn(s, 'sample_1h') };
    const table = { raw: RETENTION.raw, minute: RETENTION.minute, hour: RETENTION.hour } as const;
    for (const name of ['raw', 'minute', 'hour'] as const) {
      const keep = before[name].filter((ts) => ts >= cut(table[name]));
      expect(after[name], name).toEqual(keep);
      expect(summary[name], name).toBe(before[name].length - keep.length);
      expect(summary[name], `${name} pruned something`).toBeGreaterThan(0);
    }
    expect(summary.events).toBe(3);
    expect((await s.events.query()).map((e) => e.ts)).toEqual([T0 + 3 * DAY]);

    // What is gone reads as gaps; what is kept reads as before.
    expect((await s.metrics.query({ ...KEY, from: T0, to: T0 + HOUR, resolution: 'raw' }))!.points).toEqual([]);
    const oldMinutes = (await s.metrics.query({ ...KEY, from: T0 + HOUR, to: T0 + 2 * HOUR, resolution: '1m' }))!.points;
    expect(oldMinutes.length).toBe(61);
    expect(oldMinutes.every((p) => p.value === null)).toBe(true);
    expect(await s.metrics.query({ ...KEY, from: end - 2 * DAY, to: end, resolution: '1h' })).toEqual(hourly);
    expect(hourly.points.filter((p) => p.value !== null).every((p) => p.value === 1)).toBe(true);
    // The oldest raw frame left has lost its predecessor: its rate is unknown, the rest are 1/s.
    const raw = (await s.metrics.query({ ...KEY, from: end - 3 * HOUR, to: end, resolution: 'raw' }))!.points;
    expect(raw[0]!.ts).toBe(cut(RETENTION.raw) * 1000);
    expect(raw[0]!.value).toBeNull();
    expect(raw.slice(1).every((p) => p.value === 1)).toBe(true);
  });

  it('keeps the rollups going after a prune', async () => {
    const s = await openStore({ file: path.join(newDir(), 'fulcrum.db'), retention: RETENTION });
    open.push(s);
    const counter = await s.metrics.series(KEY, 'counter');
    await s.metrics.write([{ series: counter, ts: T0, value: null }]);
    for (let i = 1; i <= 200; i++) {
      await s.metrics.write([{ series: counter, ts: T0 + i * 30_000, value: 300 }]);
      if (i % 50 === 0) await s.metrics.prune(T0 + i * 30_000);
    }
    const minutes = (await s.metrics.query({ ...KEY, from: T0 + 1, to: T0 + 200 * 30_000, resolution: '1m' }))!.points;
    expect(minutes.length).toBe(100);
    expect(minutes.every((p) => p.value === 10 && p.sum === 600)).toBe(true);
  });
});
