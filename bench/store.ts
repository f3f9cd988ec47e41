/**
 * The metric store: how fast a fleet's poll cycles go in, and how small they lie on disk,
 * beside plain better-sqlite3 inserts of the same samples as rows.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openStore, type Point } from '../src/store/index.js';
import { median } from './lib/measure.js';
import { result, type Result } from './lib/report.js';

const APPLIANCES = 500;
const SERIES_PER_APPLIANCE = 50;
const GAUGES_PER_APPLIANCE = 10;
const CYCLES = 30;
const INTERVAL_MS = 10_000;
const ROUNDS = 3;
const T0 = Date.UTC(2025, 5, 15);
const SAMPLES = APPLIANCES * SERIES_PER_APPLIANCE * CYCLES;

export const title = 'Metric store: ingest and bytes per sample (better-sqlite3, WAL, synchronous=NORMAL)';

export const notes = [
  `Fleet: ${APPLIANCES} appliances × ${SERIES_PER_APPLIANCE} series (${GAUGES_PER_APPLIANCE} of them gauges), ${CYCLES} poll cycles 10 s apart, ` +
    `one transaction per cycle (${APPLIANCES * SERIES_PER_APPLIANCE} samples); ${SAMPLES / 1e6} M samples per round, median of ${ROUNDS} rounds, fresh files each round.`,
  'Counter deltas follow per-series rates drawn log-uniform from 1/s to 10 M/s, ±20% per poll; the first cycle is all gap markers, as the poller writes it.',
  "Ours: MetricStore.write() with the series ids resolved, including the frame encoding and the 1-minute/1-hour rollups. Only the write calls are timed; building each cycle's points is not.",
  'Peer: the obvious schema, sample(series, ts, value) PRIMARY KEY (series, ts) WITHOUT ROWID, one prepared INSERT per sample in one transaction per cycle, same pragmas and cache. ' +
    'The heap row (rowid table, no key on series) is the ceiling for plain inserts but cannot answer a per-series query without a scan.',
  'Bytes per sample: the table\'s pages (dbstat) ÷ samples after a checkpoint; "whole file" adds the rollups, dictionary and free pages.',
];

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fleet {
  isGauge: Uint8Array;
  rate: Float64Array;
}

function makeFleet(): Fleet {
  const rnd = random(2025);
  const n = APPLIANCES * SERIES_PER_APPLIANCE;
  const isGauge = new Uint8Array(n);
  const rate = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    isGauge[i] = i % SERIES_PER_APPLIANCE >= SERIES_PER_APPLIANCE - GAUGES_PER_APPLIANCE ? 1 : 0;
    rate[i] = 10 ** (rnd() * 7);
  }
  return { isGauge, rate };
}

/** The values of one cycle (NaN = gap marker), the same for ours and the peer. */
function cycleValues(fleet: Fleet, cycle: number, rnd: () => number, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    if (fleet.isGauge[i]) out[i] = Math.floor(rnd() * 200);
    else out[i] = cycle === 0 ? Number.NaN : Math.round(fleet.rate[i]! * 10 * (0.8 + 0.4 * rnd()));
  }
}

const tableBytes = (db: Database.Database, name: string) =>
  (db.prepare('SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name = ?').get(name) as { b: number }).b;

interface Round {
  rate: number;
  bytesPerSample: number;
  fileBytesPerSample?: number;
}

async function ours(dir: string, fleet: Fleet): Promise<Round> {
  const file = path.join(dir, 'ours.db');
  const store = await openStore({ file });
  const ids = await store.metrics.seriesMany(
    Array.from(fleet.isGauge, (gauge, i) => ({
      key: { appliance: `lb${Math.floor(i / SERIES_PER_APPLIANCE)}`, service: `svc${i % 5}`, counter: `m${i % SERIES_PER_APPLIANCE}` },
      kind: gauge ? ('gauge' as const) : ('counter' as const),
    })),
  );
  const rnd = random(7);
  const values = new Float64Array(ids.length);
  let ms = 0;
  for (let c = 0; c < CYCLES; c++) {
    cycleValues(fleet, c, rnd, values);
    const ts = T0 + c * INTERVAL_MS;
    const points: Point[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) points[i] = { series: ids[i]!, ts, value: Number.isNaN(values[i]!) ? null : values[i]! };
    const start = performance.now();
    const { written } = await store.metrics.write(points);
    ms += performance.now() - start;
    if (written !== points.length) throw new Error(`store kept ${written} of ${points.length} points`);
  }
  await store.close();
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const round = { rate: SAMPLES / (ms / 1000), bytesPerSample: tableBytes(db, 'sample_raw') / SAMPLES, fileBytesPerSample: statSync(file).size / SAMPLES };
  db.close();
  return round;
}

function peer(dir: string, fleet: Fleet, schema: 'keyed' | 'heap'): Round {
  const file = path.join(dir, `peer-${schema}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.exec(
    schema === 'keyed'
      ? 'CREATE TABLE sample (series INTEGER NOT NULL, ts INTEGER NOT NULL, value INTEGER, PRIMARY KEY (series, ts)) WITHOUT ROWID'
      : 'CREATE TABLE sample (series INTEGER NOT NULL, ts INTEGER NOT NULL, value INTEGER)',
  );
  const insert = db.prepare('INSERT INTO sample (series, ts, value) VALUES (?, ?, ?)');
  const rnd = random(7);
  const values = new Float64Array(fleet.rate.length);
  let ms = 0;
  for (let c = 0; c < CYCLES; c++) {
    cycleValues(fleet, c, rnd, values);
    const ts = Math.floor((T0 + c * INTERVAL_MS) / 1000);
    const start = performance.now();
    db.transaction(() => {
      for (let i = 0; i < values.length; i++) insert.run(i + 1, ts, Number.isNaN(values[i]!) ? null : values[i]!);
    })();
    ms += performance.now() - start;
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  const round = { rate: SAMPLES / (ms / 1000), bytesPerSample: tableBytes(db, 'sample') / SAMPLES };
  db.close();
  return round;
}

export async function run(): Promise<Result[]> {
  const fleet = makeFleet();
  const rounds = { ours: [] as Round[], keyed: [] as Round[], heap: [] as Round[] };
  for (let r = 0; r < ROUNDS; r++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-bench-store-'));
    try {
      rounds.ours.push(await ours(dir, fleet));
      rounds.keyed.push(peer(dir, fleet, 'keyed'));
      rounds.heap.push(peer(dir, fleet, 'heap'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const med = (list: Round[], pick: (r: Round) => number) => median(list.map(pick));
  const peerName = 'better-sqlite3 INSERT per sample, (series, ts) key';
  return [
    result({
      name: `ingest, ${APPLIANCES * SERIES_PER_APPLIANCE} samples per cycle transaction, incl. rollups`,
      value: med(rounds.ours, (r) => r.rate),
      unit: 'samples/s',
      better: 'higher',
      peer: { name: peerName, value: med(rounds.keyed, (r) => r.rate) },
      goal: { value: 500_000 },
    }),
    result({
      name: 'better-sqlite3 INSERT per sample into a heap table (no key, not queryable per series)',
      value: med(rounds.heap, (r) => r.rate),
      unit: 'samples/s',
      better: 'higher',
    }),
    result({
      name: 'bytes per raw sample on disk (sample table pages)',
      value: med(rounds.ours, (r) => r.bytesPerSample),
      unit: 'B/sample',
      better: 'lower',
      peer: { name: peerName, value: med(rounds.keyed, (r) => r.bytesPerSample) },
      goal: { value: 16 },
    }),
    result({
      name: 'bytes per raw sample, whole file (with rollups, dictionary, free pages)',
      value: med(rounds.ours, (r) => r.fileBytesPerSample!),
      unit: 'B/sample',
      better: 'lower',
    }),
  ];
}
