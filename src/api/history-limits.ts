/**
 * What one history query may ask of the store, checked before the store is asked: a range
 * within the longest retention (so no arithmetic meets a time before 1970 or a grid of millions
 * of buckets), and at most MAX_HISTORY_POINTS points in one answer across all its series. Rollup
 * grids are counted before the query (series × buckets); raw samples, which only the store
 * knows, are counted in the answer (the raw scan itself is bounded by the raw retention). The
 * complaints say how to narrow the query, in the words of whoever asked (API or CLI).
 */
import { formatDuration } from '../protocol/rules/index.js';
import { DEFAULT_RETENTION, type Resolution } from '../store/metric-store.js';

/** An answer of 200,000 points is ~5 MB of JSON: a year of hourly points for 22 series, or 15 minutes of 10-second polls for 2,000. */
export const MAX_HISTORY_POINTS = 200_000;

/** Nothing is kept longer than the hourly rollups. */
export const MAX_HISTORY_SPAN_MS = DEFAULT_RETENTION.hour;

const STEP_S: Record<Exclude<Resolution, 'raw'>, number> = { '1m': 60, '1h': 3_600 };

/** How the asker names the query's knobs, for the advice. */
export interface HistoryWords {
  since: string;
  from?: string;
  resolution?: string;
  filters?: string;
}

export const API_WORDS: HistoryWords = {
  since: 'querystring.since',
  from: 'querystring.from',
  resolution: 'resolution=1m or resolution=1h',
  filters: 'counter=, service= or level=',
};

export class HistoryLimitError extends Error {
  constructor(
    message: string,
    readonly kind: 'range' | 'points',
    readonly details?: { points: number; maxPoints: number; series: number },
  ) {
    super(message);
  }
}

/** A span back from now, or why not. */
export function checkSpan(spanMs: number, words: HistoryWords): void {
  if (spanMs > MAX_HISTORY_SPAN_MS) {
    throw new HistoryLimitError(
      `${words.since}: ${formatDuration(spanMs)} is longer than the ${formatDuration(MAX_HISTORY_SPAN_MS)} history is kept; ask for at most ${formatDuration(MAX_HISTORY_SPAN_MS)}`,
      'range',
    );
  }
}

/** A start time in ms (as given: digits), or why not. */
export function checkFrom(from: number, now: number, words: HistoryWords): void {
  const name = words.from ?? 'from';
  if (!Number.isSafeInteger(from)) throw new HistoryLimitError(`${name}: must be a time in ms since the epoch`, 'range');
  if (from > now) throw new HistoryLimitError(`${name}: is in the future`, 'range');
  if (now - from > MAX_HISTORY_SPAN_MS) {
    throw new HistoryLimitError(
      `${name}: ${from} is more than ${formatDuration(MAX_HISTORY_SPAN_MS)} ago, longer than history is kept; give a time within the last ${formatDuration(MAX_HISTORY_SPAN_MS)}`,
      'range',
    );
  }
}

function advice(resolution: Resolution, words: HistoryWords): string {
  const ways = [`a shorter range (${words.since.replace(/^querystring\./, '')}=…)`];
  if (resolution !== '1h' && words.resolution) ways.push(`a coarser resolution (${words.resolution})`);
  if (words.filters) ways.push(`fewer series (${words.filters})`);
  return `ask for ${ways.join(', ')}`;
}

/** Rollups: the grid's size is known before the query. Raw: nothing to check yet (see checkAnswer). */
export function checkGrid(series: number, spanMs: number, resolution: Resolution, words: HistoryWords): void {
  if (resolution === 'raw') return;
  const buckets = Math.floor(spanMs / 1000 / STEP_S[resolution]) + 1;
  const points = series * buckets;
  if (points <= MAX_HISTORY_POINTS) return;
  throw new HistoryLimitError(
    `the answer would hold ${points} points (${series} series × ${buckets} buckets at ${resolution}), and at most ${MAX_HISTORY_POINTS} are served at once: ${advice(resolution, words)}`,
    'points',
    { points, maxPoints: MAX_HISTORY_POINTS, series },
  );
}

/** Raw samples: counted in the answer. */
export function checkAnswer(series: ReadonlyArray<{ points: readonly unknown[] }>, resolution: Resolution, words: HistoryWords): void {
  const points = series.reduce((n, s) => n + s.points.length, 0);
  if (points <= MAX_HISTORY_POINTS) return;
  throw new HistoryLimitError(
    `the answer holds ${points} points (${series.length} series of ${resolution} samples), and at most ${MAX_HISTORY_POINTS} are served at once: ${advice(resolution, words)}`,
    'points',
    { points, maxPoints: MAX_HISTORY_POINTS, series: series.length },
  );
}
