/** Bytes per sample on disk, measured on a realistic fleet-shaped write (printed; the bound is loose). */
import path from 'node:path';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { inspect, T0, tempDirs } from './support.js';

const newDir = tempDirs();

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('bytes per sample', () => {
  it('stays well within 16 bytes per raw sample', async () => {
    const file = path.join(newDir(), 'fulcrum.db');
    const s = await openStore({ file });
    const rnd = random(7);
    const APPLIANCES = 100;
    const COUNTERS = 30;
    const GAUGES = 10;
    const POLLS = 60;
    // Each counter has its own typical rate, log-uniform from 1/s to 10 M/s, varying ±20% per poll.
    const series: Array<{ id: number; kind: 'counter' | 'gauge'; rate: number }> = [];
    for (let a = 0; a < APPLIANCES; a++) {
      for (let c = 0; c < COUNTERS + GAUGES; c++) {
        const kind = c < COUNTERS ? 'counter' : 'gauge';
        series.push({ id: await s.metrics.series({ appliance: `lb${a}`, service: `svc${c % 5}`, counter: `m${c}` }, kind), kind, rate: 10 ** (rnd() * 7) });
      }
    }
    let samples = 0;
    for (let p = 0; p < POLLS; p++) {
      const points = series.map((x) => ({
        series: x.id,
        ts: T0 + p * 10_000,
        value: p === 0 && x.kind === 'counter' ? null : Math.round(x.kind === 'counter' ? x.rate * 10 * (0.8 + 0.4 * rnd()) : rnd() * 200),
      }));
      samples += (await s.metrics.write(points)).written;
    }
    await s.close();
    const db = await openStore({ file });
    const raw =
      inspect(db, (look) => {
        // Fold the WAL into the file first, so the file's size below is the data's.
        look.pragma('wal_checkpoint(TRUNCATE)');
        return (look.prepare('SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name = ?').get('sample_raw') as { b: number }).b;
      }) / samples;
    const file_ = statSync(file).size / samples;
    await db.close();
    console.log(
      `bytes per sample: raw table ${raw.toFixed(2)}, whole file ${file_.toFixed(2)} (${samples} samples, ${APPLIANCES} appliances × ${COUNTERS + GAUGES} series × ${POLLS} polls)`,
    );
    expect(samples).toBe(APPLIANCES * (COUNTERS + GAUGES) * POLLS);
    expect(raw).toBeLessThan(16);
    expect(file_).toBeLessThan(32);
  });
});
