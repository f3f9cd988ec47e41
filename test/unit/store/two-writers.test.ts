import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type AgentStore } from '../../../src/store/index.js';
import { T0, tempDirs } from './support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

describe('two writers on one file', () => {
  it('a frame another process already wrote for that second counts as stale instead of failing the batch', async () => {
    const file = path.join(newDir(), 'fulcrum.db');
    const a = await openStore({ file });
    const b = await openStore({ file });
    open.push(a, b);
    const key = { appliance: 'edge-1', service: 'web', counter: 'connsTotal' };
    const sa = await a.metrics.series(key, 'counter');
    const sb = await b.metrics.series(key, 'counter');
    expect(sb).toBe(sa);
    expect(await b.metrics.write([{ series: sb, ts: T0 - 1_000, value: 1 }])).toEqual({ written: 1, stale: 0 });
    expect(await a.metrics.write([{ series: sa, ts: T0, value: 5 }])).toEqual({ written: 1, stale: 0 });
    // b's in-memory state has not seen a's frame: the row for that second is already there.
    expect(
      await b.metrics.write([
        { series: sb, ts: T0 + 200, value: 7 },
        { series: sb, ts: T0 + 1_000, value: 3 },
      ]),
    ).toEqual({ written: 1, stale: 1 });
    const points = (await a.metrics.query({ appliance: 'edge-1', service: 'web', counter: 'connsTotal', from: T0 - 1_000, to: T0 + 1_000, resolution: 'raw' }))!
      .points;
    // The first writer's value stands; the second batch's later frame was kept.
    expect(points.map((p) => [p.ts, p.sum])).toEqual([
      [T0 - 1_000, 1],
      [T0, 5],
      [T0 + 1_000, 3],
    ]);
  });
});
