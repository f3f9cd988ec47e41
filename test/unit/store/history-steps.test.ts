import { describe, expect, it } from 'vitest';
import { countGaps } from '../../../src/store/history.js';
import { mergeSteps, resolutionForStep, steppedHistory } from '../../../src/store/history-steps.js';
import type { SeriesPoint } from '../../../src/store/index.js';
import { T0, tempStores } from './support.js';

const store = tempStores();

const MIN = 60_000;
const CONNS = { appliance: 'lb1', service: 'web', counter: 'connsTotal' };
const ACTIVE = { appliance: 'lb1', service: 'web', counter: 'connsActive' };
const BACKEND = { appliance: 'lb1', service: 'web', backend: '10.0.0.1:80', counter: 'connsTotal' };

describe('resolutionForStep', () => {
  it('reads the coarsest rollup that tiles the step and reaches back the span', () => {
    expect(resolutionForStep(6 * 3_600_000, 5 * MIN)).toEqual({ resolution: '1m' });
    expect(resolutionForStep(3 * 86_400_000, 3_600_000)).toEqual({ resolution: '1h' });
    // Whole minutes over three days: the minute rollups (kept 30 days), not the hourly ones.
    expect(resolutionForStep(3 * 86_400_000, 5 * MIN)).toEqual({ resolution: '1m' });
    expect(resolutionForStep(3_600_000, 30_000)).toEqual({ resolution: 'raw' });
  });

  it('says why a step cannot be served', () => {
    expect(resolutionForStep(3 * 86_400_000, 30_000)).toEqual({ problem: expect.stringContaining('raw samples, kept 1 day') });
    expect(resolutionForStep(60 * 86_400_000, 5 * MIN)).toEqual({ problem: expect.stringContaining('give a step of whole hours') });
    expect(resolutionForStep(3_600_000, 1500)).toEqual({ problem: 'must be whole seconds, at least 1s' });
  });
});

describe('countGaps', () => {
  it('does not count the nulls before the first known value (the first poll is a baseline)', () => {
    expect(countGaps([null, 5, 6])).toBe(0);
    expect(countGaps([null, null, 5, null, 6, null])).toBe(2);
    expect(countGaps([null, null])).toBe(0);
  });
});

describe('mergeSteps', () => {
  const point = (ts: number, sum: number | null, n: number): SeriesPoint =>
    sum === null || n === 0 ? { ts, value: null, min: null, max: null, sum, n: 0 } : { ts, value: sum / n, min: sum / n, max: sum / n, sum, n };

  it('sums increases per step, averages over the seconds covered, keeps the extreme rates', () => {
    // Raw samples every 10 s: 10 conns, then 30, then a delta bridging 20 s of 40.
    const points = [point(T0 + 10_000, 10, 10), point(T0 + 20_000, 30, 10), point(T0 + 40_000, 40, 20), point(T0 + 70_000, 60, 30)];
    const m = mergeSteps(points, 'counter', 'raw', T0, T0 + 2 * MIN, MIN);
    expect(m.first).toBe(T0);
    expect(m.rows[0]).toEqual({ ts: T0, total: 80, avg: 2, min: 1, max: 3 });
    // 70 s closes the second minute; the third has nothing: a gap.
    expect(m.rows[1]).toEqual({ ts: T0 + MIN, total: 60, avg: 2, min: 2, max: 2 });
    expect(m.rows[2]).toEqual({ ts: T0 + 2 * MIN, total: null, avg: null, min: null, max: null });
    expect(m.gaps).toBe(1);
  });

  it('a sample exactly on a step boundary closes the step before it', () => {
    const m = mergeSteps([point(T0 + MIN, 60, 60)], 'counter', 'raw', T0, T0 + MIN, MIN);
    expect(m.rows.map((r) => [r.ts, r.total])).toEqual([
      [T0, 60],
      [T0 + MIN, null],
    ]);
  });

  it('starts at the first step with data: no gaps before the first poll, nothing at all without data', () => {
    const m = mergeSteps([point(T0 + 5 * MIN + 10_000, null, 0), point(T0 + 5 * MIN + 20_000, 10, 10)], 'counter', 'raw', T0, T0 + 6 * MIN, MIN);
    expect(m.first).toBe(T0 + 5 * MIN);
    expect(m.gaps).toBe(1);
    expect(mergeSteps([point(T0 + 10_000, null, 0)], 'counter', 'raw', T0, T0 + MIN, MIN)).toEqual({ first: null, gaps: 0, rows: [] });
  });
});

describe('steppedHistory', () => {
  it('merges minute rollups into 5-minute rows, filtering by counter, service level and backend', async () => {
    const s = await store();
    const conns = await s.metrics.series(CONNS, 'counter');
    const active = await s.metrics.series(ACTIVE, 'gauge');
    const backend = await s.metrics.series(BACKEND, 'counter');
    // One poll every 30 s for 12 minutes: 15 connections each, 4 active; the first poll a baseline.
    const points = [];
    for (let i = 0; i <= 24; i++) {
      const ts = T0 + i * 30_000;
      points.push({ series: conns, ts, value: i === 0 ? null : 15 }, { series: active, ts, value: 4 }, { series: backend, ts, value: i === 0 ? null : 5 });
    }
    await s.metrics.write(points);
    const q = { from: T0, to: T0 + 12 * MIN, resolution: '1m' as const, stepMs: 5 * MIN };
    const h = await steppedHistory(s.metrics, 'lb1', { ...q, serviceLevel: true });
    expect(h.series.map((x) => x.counter)).toEqual(['connsTotal', 'connsActive']);
    const c = h.series[0]!;
    expect(c.gaps).toBe(0);
    expect(c.rows.map((r) => [r.ts - T0, r.total, r.avg])).toEqual([
      [0, 150, 0.5],
      [5 * MIN, 150, 0.5],
      [10 * MIN, 60, 0.5],
    ]);
    expect(h.series[1]!.rows[0]).toMatchObject({ total: null, avg: 4, min: 4, max: 4 });
    const b = await steppedHistory(s.metrics, 'lb1', { ...q, backend: '10.0.0.1:80', counters: ['connsTotal'] });
    expect(b.series.map((x) => [x.backend, x.rows[0]!.total])).toEqual([['10.0.0.1:80', 50]]);
  });
});
