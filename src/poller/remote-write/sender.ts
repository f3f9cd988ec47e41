/**
 * Sends samples to a Prometheus remote-write endpoint, in the background of the poller.
 *
 * Invariants:
 * - `push` never waits and never throws: it appends to a queue in memory and returns, so a slow
 *   or dead endpoint cannot slow a poll cycle.
 * - The queue is bounded (`maxQueuedSamples`): when the endpoint stays down longer than the queue
 *   holds, the oldest samples are dropped, counted, and logged (once when dropping starts, then
 *   at most every `dropLogEveryMs`, and a total when the endpoint answers again).
 * - One request at a time, oldest samples first: Prometheus refuses a sample older than the
 *   newest it has for that series, so requests must not overtake one another.
 * - A 5xx answer, a 429, or a network error is retried with exponential backoff; any other 4xx
 *   is not (the same body would be refused again): it is logged with the response body and its
 *   samples are dropped as rejected.
 * - `stop` sends what is queued, until the queue is empty or its deadline, then gives up on the
 *   rest and says how many samples were left unsent.
 */
import type { Label, Sample, TimeSeries } from './write-request.js';
import { encodeWriteRequest } from './write-request.js';
import { snappyBlock } from './snappy.js';

/** A series as the sender sees it: its labels, shared by all its queued samples. */
export interface SeriesRef {
  readonly labels: readonly Label[];
}

export interface QueuedSample {
  series: SeriesRef;
  value: number;
  /** ms since the epoch. */
  timestamp: number;
}

export interface SenderLog {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface RemoteWriteOptions {
  url: string;
  /** Samples per request at most. Default 2000 (Prometheus' own max_samples_per_send). */
  maxSamplesPerRequest?: number;
  /** Samples held while the endpoint does not take them; beyond, the oldest are dropped. Default 200,000. */
  maxQueuedSamples?: number;
  /** First wait after a retryable failure, doubled each time up to `maxBackoffMs`. Defaults 250 ms, 10 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** One request's time limit. Default 30 s. */
  requestTimeoutMs?: number;
  dropLogEveryMs?: number;
  log?: SenderLog;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
}

export interface SenderStats {
  /** Samples the endpoint accepted. */
  sent: number;
  /** Samples dropped because the queue was full. */
  dropped: number;
  /** Samples in requests the endpoint refused with a 4xx. */
  rejected: number;
  /** Requests that failed and were tried again. */
  retries: number;
  /** Samples waiting. */
  queued: number;
}

export class RemoteWriteUrlError extends Error {
  override readonly name = 'RemoteWriteUrlError';
}

/** A refusal worth logging: the endpoint's status and what it said. */
export class RemoteWriteRejected extends Error {
  override readonly name = 'RemoteWriteRejected';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`remote write refused with HTTP ${status}: ${body}`);
  }
}

/** The URL as given, checked to be http(s). */
export function remoteWriteUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RemoteWriteUrlError(`expected an http:// or https:// URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RemoteWriteUrlError(`expected an http:// or https:// URL, got "${text}"`);
  return url;
}

const BODY_LOGGED = 512;

type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string };

export class RemoteWriteSender {
  private readonly url: URL;
  private readonly perRequest: number;
  private readonly capacity: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly timeout: number;
  private readonly dropLogEvery: number;
  /** queue[head..] waits; the part before head is done with and kept only until the next compaction. */
  private queue: QueuedSample[] = [];
  private head = 0;
  /** Samples compacted away before queue[0]: `base + i` names a sample for good, across compactions. */
  private base = 0;
  private counts = { sent: 0, dropped: 0, rejected: 0, retries: 0 };
  /** Drops since the endpoint last took a request, and when they were last logged. */
  private outageDrops = 0;
  private lastDropLog = -Infinity;
  private draining: Promise<void> | null = null;
  private stopped = false;
  /** Aborted when stop() runs out of time: ends the request in flight and any backoff wait. */
  private readonly giveUp = new AbortController();

  constructor(private readonly options: RemoteWriteOptions) {
    this.url = remoteWriteUrl(options.url);
    this.perRequest = options.maxSamplesPerRequest ?? 2000;
    this.capacity = options.maxQueuedSamples ?? 200_000;
    this.minBackoff = options.minBackoffMs ?? 250;
    this.maxBackoff = options.maxBackoffMs ?? 10_000;
    this.timeout = options.requestTimeoutMs ?? 30_000;
    this.dropLogEvery = options.dropLogEveryMs ?? 10_000;
  }

  push(samples: readonly QueuedSample[]): void {
    if (this.stopped || samples.length === 0) return;
    for (const s of samples) this.queue.push(s);
    const over = this.queue.length - this.head - this.capacity;
    if (over > 0) this.drop(over);
    this.kick();
  }

  /** Starts the drain loop unless it runs. */
  private kick(): void {
    if (this.draining !== null) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // A push between the loop's last look at the queue and this moment found it still
      // running and did not start it: look again, or those samples would wait for the next push.
      if (this.queue.length > this.head && !this.giveUp.signal.aborted) this.kick();
    });
  }

  stats(): SenderStats {
    return { ...this.counts, queued: this.queue.length - this.head };
  }

  /** Sends what is queued for up to `deadlineMs`, then abandons the rest; takes no more samples. */
  async stop(deadlineMs = 5_000): Promise<SenderStats> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    // In a loop: the drain loop may have been started again (kick) as the one awaited ended.
    while (this.draining !== null) {
      if ((await Promise.race([this.draining, late])) === 'late') {
        this.giveUp.abort();
        await this.draining;
        break;
      }
    }
    clearTimeout(timer);
    const left = this.queue.length - this.head;
    if (left > 0) this.options.log?.warn({ unsent: left, url: this.url.href }, `remote write: ${left} samples left unsent at stop`);
    return this.stats();
  }

  private drop(n: number): void {
    this.head += n;
    this.counts.dropped += n;
    this.outageDrops += n;
    const now = Date.now();
    if (now - this.lastDropLog >= this.dropLogEvery) {
      this.lastDropLog = now;
      this.options.log?.warn(
        { dropped: this.outageDrops, droppedTotal: this.counts.dropped, queued: this.capacity, url: this.url.href },
        `remote write: the endpoint is not taking samples and the queue is full: dropped the oldest ${this.outageDrops} so far`,
      );
    }
    this.compact();
  }

  /** Frees the sent part of the queue once it is the larger half (amortised O(1) per sample). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  private async drain(): Promise<void> {
    let backoff = this.minBackoff;
    while (this.queue.length > this.head && !this.giveUp.signal.aborted) {
      // The batch is taken afresh from the head at every attempt: drops while a request was
      // failing may have removed its oldest samples, and what is left is still the oldest.
      const start = this.base + this.head;
      const batch = this.queue.slice(this.head, this.head + this.perRequest);
      const outcome = await this.send(batch);
      if (this.giveUp.signal.aborted) return;
      if (outcome.ok || !outcome.retry) {
        // Samples dropped meanwhile moved the head past `start`; only what was still queued counts.
        const done = Math.max(0, start + batch.length - (this.base + this.head));
        this.head += done;
        if (outcome.ok) {
          this.counts.sent += done;
          this.recovered();
        } else {
          this.counts.rejected += done;
          this.options.log?.warn({ samples: batch.length, url: this.url.href }, `remote write: ${outcome.reason}; these samples are not sent again`);
        }
        this.compact();
        backoff = this.minBackoff;
        continue;
      }
      this.counts.retries++;
      this.options.log?.warn({ url: this.url.href, retryInMs: backoff }, `remote write failed, trying again: ${outcome.reason}`);
      await this.wait(backoff);
      backoff = Math.min(backoff * 2, this.maxBackoff);
    }
  }

  private recovered(): void {
    if (this.outageDrops === 0) return;
    this.options.log?.warn(
      { dropped: this.outageDrops, url: this.url.href },
      `remote write: the endpoint takes samples again; ${this.outageDrops} were dropped meanwhile`,
    );
    this.outageDrops = 0;
    this.lastDropLog = -Infinity;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.giveUp.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.giveUp.signal.addEventListener('abort', done);
    });
  }

  private async send(batch: readonly QueuedSample[]): Promise<Outcome> {
    let body: Uint8Array;
    try {
      body = snappyBlock(encodeWriteRequest(group(batch)));
    } catch (err) {
      // Not the endpoint's fault and not going to change: as a refusal, not retried.
      return { ok: false, retry: false, reason: `cannot encode the request: ${(err as Error).message}` };
    }
    // A timer of its own rather than AbortSignal.timeout() under AbortSignal.any(): on Node 20
    // any() holds its inputs weakly, and a timeout signal nothing else references can be
    // collected before it fires, leaving a hung request to hang for good.
    const abort = new AbortController();
    const onGiveUp = () => abort.abort(this.giveUp.signal.reason);
    this.giveUp.signal.addEventListener('abort', onGiveUp);
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.timeout} ms`)), this.timeout);
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          ...this.options.headers,
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'User-Agent': 'fulcrum',
        },
        body,
        signal: abort.signal,
      });
      if (res.ok) {
        await res.body?.cancel();
        return { ok: true };
      }
      const text = (await res.text().catch(() => '')).trim().slice(0, BODY_LOGGED);
      const rejected = new RemoteWriteRejected(res.status, text);
      // 429 is the endpoint asking to slow down, not a bad request.
      return { ok: false, retry: res.status >= 500 || res.status === 429, reason: rejected.message };
    } catch (err) {
      return { ok: false, retry: true, reason: describe(err) };
    } finally {
      clearTimeout(timer);
      this.giveUp.signal.removeEventListener('abort', onGiveUp);
    }
  }
}

/** Samples → one TimeSeries per series, each series' samples in the order queued (oldest first). */
function group(batch: readonly QueuedSample[]): TimeSeries[] {
  const bySeries = new Map<SeriesRef, Sample[]>();
  for (const s of batch) {
    let samples = bySeries.get(s.series);
    if (!samples) bySeries.set(s.series, (samples = []));
    samples.push({ value: s.value, timestamp: s.timestamp });
  }
  return [...bySeries].map(([series, samples]) => ({ labels: series.labels, samples }));
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? String(err)} (${cause})` : (e.message ?? String(err));
}
