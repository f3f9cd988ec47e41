/**
 * History as a time series of fixed steps (`fulcrum counters NAME --since 6h --step 5m`): the
 * stored points of history.ts (raw samples or rollups, whichever the step allows) merged into
 * one row per step. Invariant: a row's figures are exactly what its points hold — a counter's
 * total is the sum of its increases, its average the total over the seconds those increases
 * cover (so a delta bridging missed polls is an average, never a spike), min and max the
 * extreme per-sample rates; a gauge's average is over its readings. Steps are aligned to the
 * epoch, hold what ended in (start, start + step], and a step with nothing known is a gap —
 * except before a series' first known value (its first poll is a baseline, not a gap).
 */
import type { MetricStore, Resolution, SeriesKind, SeriesPoint } from './metric-store.js';
import { DEFAULT_RETENTION } from './metric-store.js';
import { queryHistory, resolutionFor, type HistoryQuery } from './history.js';

export interface StepRow {
  /** Start of the step, ms. */
  ts: number;
  /** Counter: the increase over the step. Gauge: null. Null for a gap. */
  total: number | null;
  /** Counter: the average rate per second over the time covered. Gauge: the mean reading. */
  avg: number | null;
  min: number | null;
  max: number | null;
}

export interface SteppedSeries {
  service: string | null;
  backend: string | null;
  counter: string;
  kind: SeriesKind;
  /** Start of the first step with data; null when the series has none in the range. */
  first: number | null;
  /** Steps with nothing known after `first`. */
  gaps: number;
  /** One per step from `first` to the end of the range (none when `first` is null). */
  rows: StepRow[];
}

export interface SteppedHistory {
  appliance: string;
  from: number;
  to: number;
  stepMs: number;
  /** What the rows were merged from. */
  resolution: Resolution;
  series: SteppedSeries[];
}

const WIDTH_MS: Record<Exclude<Resolution, 'raw'>, number> = { '1m': 60_000, '1h': 3_600_000 };
const KEPT_MS: Record<Resolution, number> = { raw: DEFAULT_RETENTION.raw, '1m': DEFAULT_RETENTION.minute, '1h': DEFAULT_RETENTION.hour };
const FINER: Record<Resolution, Resolution | null> = { '1h': '1m', '1m': 'raw', raw: null };

/**
 * The coarsest stored resolution that suits the span and whose buckets tile the step, or why
 * none does: a step of whole hours over a year reads hourly rollups, 5m over 6h minute rollups,
 * 30s raw samples (kept a day).
 */
export function resolutionForStep(spanMs: number, stepMs: number): { resolution: Resolution } | { problem: string } {
  if (!Number.isSafeInteger(stepMs) || stepMs < 1000 || stepMs % 1000 !== 0) return { problem: 'must be whole seconds, at least 1s' };
  let r: Resolution | null = resolutionFor(spanMs);
  while (r !== null && r !== 'raw' && stepMs % WIDTH_MS[r] !== 0) r = FINER[r];
  if (r === null) return { problem: 'no stored resolution fits' };
  if (spanMs > KEPT_MS[r]) {
    const unit = r === 'raw' ? 'whole minutes' : 'whole hours';
    return {
      problem: `steps that are not ${unit} need ${r === 'raw' ? 'raw samples' : `${r} rollups`}, kept ${KEPT_MS[r] / 86_400_000} day(s): give a step of ${unit}, or a shorter span`,
    };
  }
  return { resolution: r };
}

/** Steps of `stepMs` over [from, to]: their starts, and the step a point of `resolution` belongs to. */
function stepOf(p: SeriesPoint, resolution: Resolution, stepMs: number): number {
  // A raw point is the interval ending at ts; a rollup point the bucket starting at ts.
  const end = resolution === 'raw' ? p.ts - 1 : p.ts;
  return Math.floor(end / stepMs) * stepMs;
}

/** One series' points merged per step. */
export function mergeSteps(
  points: readonly SeriesPoint[],
  kind: SeriesKind,
  resolution: Resolution,
  from: number,
  to: number,
  stepMs: number,
): Omit<SteppedSeries, 'service' | 'backend' | 'counter' | 'kind'> {
  const acc = new Map<number, { total: number; n: number; min: number; max: number }>();
  for (const p of points) {
    if (p.n === 0 || p.sum === null || p.min === null || p.max === null) continue;
    const at = stepOf(p, resolution, stepMs);
    const a = acc.get(at);
    if (!a) acc.set(at, { total: p.sum, n: p.n, min: p.min, max: p.max });
    else Object.assign(a, { total: a.total + p.sum, n: a.n + p.n, min: Math.min(a.min, p.min), max: Math.max(a.max, p.max) });
  }
  const firstStep = Math.floor(from / stepMs) * stepMs;
  const known = [...acc.keys()].filter((k) => k >= firstStep && k <= to).sort((a, b) => a - b);
  if (known.length === 0) return { first: null, gaps: 0, rows: [] };
  const rows: StepRow[] = [];
  let gaps = 0;
  for (let at = known[0]!; at <= to; at += stepMs) {
    const a = acc.get(at);
    if (!a) {
      gaps++;
      rows.push({ ts: at, total: null, avg: null, min: null, max: null });
      continue;
    }
    rows.push({ ts: at, total: kind === 'counter' ? a.total : null, avg: a.total / a.n, min: a.min, max: a.max });
  }
  return { first: known[0]!, gaps, rows };
}

/** `counterHistory` in steps: the same selection and the same stored points, merged per step. */
export async function steppedHistory(metrics: MetricStore, appliance: string, q: Omit<HistoryQuery, 'rate'> & { stepMs: number }): Promise<SteppedHistory> {
  const series = (await queryHistory(metrics, appliance, q)).map(({ series: s, points }) => ({
    service: s.service ?? null,
    backend: s.backend ?? null,
    counter: s.counter,
    kind: s.kind,
    ...mergeSteps(points, s.kind, q.resolution, q.from, q.to, q.stepMs),
  }));
  return { appliance, from: q.from, to: q.to, stepMs: q.stepMs, resolution: q.resolution, series };
}
