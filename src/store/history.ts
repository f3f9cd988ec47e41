/**
 * An appliance's counters over a time range, every series at once: what `fulcrum counters NAME
 * --since` prints and what the API's history route serves. Counters come as the increase in
 * each step (or, with `rate`, per second), gauges as read; gaps are null.
 */
import type { MetricStore, Resolution, SeriesKind, SeriesPoint } from './metric-store.js';

export interface HistoryQuery {
  /** Inclusive, ms. */
  from: number;
  /** Inclusive, ms. */
  to: number;
  resolution: Resolution;
  /** Counters per second instead of increases per step. */
  rate?: boolean;
  /** Only these counters (e.g. connsTotal, bytesIn); all when absent. */
  counters?: readonly string[];
  /** Only this service's series. */
  service?: string;
  /** Only this backend's series (an address, as the appliance reports it). */
  backend?: string;
  /** true: only appliance- and service-wide series; false: only per-backend ones. */
  serviceLevel?: boolean;
}

export interface HistorySeries {
  service: string | null;
  backend: string | null;
  counter: string;
  kind: SeriesKind;
  /** [ts ms, value]; value null for a gap. */
  points: Array<readonly [number, number | null]>;
}

export interface History {
  appliance: string;
  from: number;
  to: number;
  resolution: Resolution;
  unit: 'per second' | 'increase per step';
  series: HistorySeries[];
}

/** The resolution that suits a span: raw up to 2 hours, 1-minute rollups up to 2 days, 1-hour beyond. */
export function resolutionFor(spanMs: number): Resolution {
  return spanMs <= 2 * 3_600_000 ? 'raw' : spanMs <= 2 * 86_400_000 ? '1m' : '1h';
}

/** A series as the store lists it. */
export type StoredSeries = Awaited<ReturnType<MetricStore['listSeries']>>[number];

/** Whether anything was ever stored for this appliance. */
export async function hasHistory(metrics: MetricStore, appliance: string): Promise<boolean> {
  return (await metrics.listSeries(appliance)).length > 0;
}

/** The series a query selects (its counters, service and level), in creation order. */
export async function chosenSeries(
  metrics: MetricStore,
  appliance: string,
  q: Pick<HistoryQuery, 'counters' | 'service' | 'backend' | 'serviceLevel'>,
): Promise<StoredSeries[]> {
  const wanted = q.counters ? new Set(q.counters) : null;
  return (await metrics.listSeries(appliance)).filter(
    (s) =>
      (wanted === null || wanted.has(s.counter)) &&
      (q.service === undefined || s.service === q.service) &&
      (q.backend === undefined || s.backend === q.backend) &&
      (q.serviceLevel === undefined || (s.backend === undefined) === q.serviceLevel),
  );
}

/**
 * The series a query selects with their stored points: the one read behind every history answer.
 * `chosen`: what chosenSeries gave for the same appliance and selection, when the caller has it already.
 */
export async function queryHistory(
  metrics: MetricStore,
  appliance: string,
  q: Omit<HistoryQuery, 'rate'>,
  chosen?: readonly StoredSeries[],
): Promise<Array<{ series: StoredSeries; points: SeriesPoint[] }>> {
  chosen ??= await chosenSeries(metrics, appliance, q);
  // One pass over the stored frames for every series when the store can (SQLite can). The
  // listed series are their own keys: queryMany reads service, backend and counter only.
  const results = await metrics.queryMany(appliance, chosen, q.from, q.to, q.resolution);
  return chosen.map((series, i) => ({ series, points: results[i]?.points ?? [] }));
}

/**
 * Gaps in a series' points: nulls after its first known value. Nulls before it are not gaps:
 * the first poll of a counter is its baseline, and before that nothing was being polled.
 */
export function countGaps(values: ReadonlyArray<number | null>): number {
  const first = values.findIndex((v) => v !== null);
  return first < 0 ? 0 : values.slice(first).filter((v) => v === null).length;
}

export async function counterHistory(metrics: MetricStore, appliance: string, q: HistoryQuery, chosen?: readonly StoredSeries[]): Promise<History> {
  const series = (await queryHistory(metrics, appliance, q, chosen)).map(({ series: s, points: stored }): HistorySeries => {
    const points = stored.map((p) => [p.ts, s.kind === 'counter' && !q.rate ? (p.sum ?? null) : p.value] as const);
    return { service: s.service ?? null, backend: s.backend ?? null, counter: s.counter, kind: s.kind, points };
  });
  return { appliance, from: q.from, to: q.to, resolution: q.resolution, unit: q.rate ? 'per second' : 'increase per step', series };
}
