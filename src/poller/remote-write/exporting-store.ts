/**
 * A MetricStore that passes everything to the store it wraps and, for every batch that store
 * took, hands the same points to a remote-write sender as Prometheus samples. The Monitor is
 * given this store instead of the real one: it needs no change, and what goes to Prometheus is
 * exactly what the store kept a record of.
 *
 * Invariants:
 * - A counter's sample is its running total: the sum of the deltas the recorder computed since
 *   this process first saw the series (0 at its first point, the recorder's baseline). A gap
 *   marker (a reset, a reboot, missed polls) adds nothing and the total goes on from where it
 *   was, so a counter reset on the appliance is no reset here; only a restart of the agent, or
 *   (on a shared store) a new lease of this agent on the appliance, starts the total again at 0,
 *   which rate() reads as the counter reset it is. An appliance that comes back to an agent that
 *   held it before must not go on from that agent's old total: what it served meanwhile was
 *   counted by another owner (or nowhere), and carrying the old total on would read as an
 *   increase the size of the difference.
 * - A gauge's sample is its reading; a missing reading sends nothing.
 * - Points go out only once the wrapped store's write resolved and none of the batch was
 *   fenced: an agent that lost an appliance's lease must not speak for it. A failed write sends
 *   nothing (as the store keeps nothing).
 * - Handing over is synchronous and never waits on the endpoint (sender.ts).
 *
 * Series ids are learnt from `series`/`seriesMany`, which the recorder calls before it writes any
 * point of a series; a point of an id never seen here is not sent.
 */
import type { Fence } from '../../store/ownership.js';
import type { MetricStore, Point, SeriesKey, SeriesKind, SeriesQuery, WriteSummary } from '../../store/metric-store.js';
import type { QueuedSample, SeriesRef } from './sender.js';
import { seriesLabels } from './series-labels.js';
import type { Label } from './write-request.js';

/** Where samples go: the sender's `push`. */
export interface SampleSink {
  push(samples: readonly QueuedSample[]): void;
}

interface Exported extends SeriesRef {
  readonly appliance: string;
  readonly labels: readonly Label[];
  readonly kind: SeriesKind;
  /** Counters: the running total; null until the series' first point. */
  total: bigint | null;
  /** The lease epoch the total was counted under (a shared store's fence), null without one. */
  epoch: number | null;
}

export class ExportingMetricStore implements MetricStore {
  private readonly exported = new Map<number, Exported>();

  constructor(
    private readonly inner: MetricStore,
    private readonly sink: SampleSink,
    private readonly log?: { warn(obj: object, msg: string): void },
  ) {}

  async series(key: SeriesKey, kind: SeriesKind): Promise<number> {
    const id = await this.inner.series(key, kind);
    this.learn(id, key, kind);
    return id;
  }

  async seriesMany(requests: ReadonlyArray<{ key: SeriesKey; kind: SeriesKind }>): Promise<number[]> {
    const ids = await this.inner.seriesMany(requests);
    ids.forEach((id, i) => this.learn(id, requests[i]!.key, requests[i]!.kind));
    return ids;
  }

  async write(points: readonly Point[], fence?: Fence): Promise<WriteSummary> {
    // Totals advance in the order the batches were handed in, before any await: the poller may
    // have two batches of one cycle in flight, and a series' samples must leave oldest first.
    const samples = this.samples(points, fence);
    const summary = await this.inner.write(points, fence);
    if (summary.fenced) {
      this.log?.warn({ fenced: summary.fenced }, 'remote write: part of a batch was refused by its lease fence; not sending the batch');
      return summary;
    }
    this.sink.push(samples);
    return summary;
  }

  listSeries(appliance: string) {
    return this.inner.listSeries(appliance);
  }

  query(query: SeriesQuery) {
    return this.inner.query(query);
  }

  queryMany(...args: Parameters<MetricStore['queryMany']>) {
    return this.inner.queryMany(...args);
  }

  prune(now?: number) {
    return this.inner.prune(now);
  }

  close() {
    return this.inner.close();
  }

  private learn(id: number, key: SeriesKey, kind: SeriesKind): void {
    if (!this.exported.has(id)) this.exported.set(id, { appliance: key.appliance, labels: seriesLabels(key, kind), kind, total: null, epoch: null });
  }

  private samples(points: readonly Point[], fence?: Fence): QueuedSample[] {
    const out: QueuedSample[] = [];
    for (const p of points) {
      const series = this.exported.get(p.series);
      if (!series) continue;
      if (series.kind === 'counter') {
        const epoch = fence?.epochs.get(series.appliance);
        if (epoch !== undefined && epoch !== series.epoch) {
          // A lease of this agent's own that it did not count under: the total starts again.
          if (series.epoch !== null) series.total = null;
          series.epoch = epoch;
        }
        // Deltas are whole numbers (bigint, or a number from a store that gives them so).
        const delta = p.value === null ? 0n : typeof p.value === 'bigint' ? p.value : BigInt(Math.round(p.value));
        series.total = (series.total ?? 0n) + delta;
        out.push({ series, value: Number(series.total), timestamp: p.ts });
      } else if (p.value !== null) {
        out.push({ series, value: Number(p.value), timestamp: p.ts });
      }
    }
    return out;
  }
}
