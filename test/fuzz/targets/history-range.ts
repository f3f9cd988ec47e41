/**
 * Fuzzes the history query's parameters without a server: `since` and `from` as the API and the
 * CLI take them (huge, negative, fractional, hex, exponent and NaN-like spellings, at and beside
 * the retention), `resolution`, the number of series chosen and the raw samples found. The
 * query goes through the route's steps in the route's order (src/api/routes/counters.ts: the
 * querystring schema, then since or from, the range, the grid before the query, the answer
 * after it), each done by the function the route calls. Promised: only the typed errors escape
 * (ApiError 400 invalidRequest, HistoryLimitError); an accepted range is a safe integer span
 * within the retention, its start neither before 1970 nor after now; a range the rules allow is
 * never refused; an accepted answer, as big as the store would make it, holds at most
 * MAX_HISTORY_POINTS points. The events' `since` (an ISO time or a duration back) gives a safe
 * integer or a 400.
 */

import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { ApiError } from '../../../src/api/errors.js';
import {
  API_WORDS,
  checkAnswer,
  checkFrom,
  checkGrid,
  checkSpan,
  HistoryLimitError,
  MAX_HISTORY_POINTS,
  MAX_HISTORY_SPAN_MS,
} from '../../../src/api/history-limits.js';
import { durationParam } from '../../../src/api/routes/counters.js';
import { sinceParam } from '../../../src/api/routes/events.js';
import { HistoryQuery } from '../../../src/api/schemas.js';
import { durationProblem, parseDuration } from '../../../src/protocol/rules/duration.js';
import { resolutionFor } from '../../../src/store/history.js';
import type { Resolution } from '../../../src/store/metric-store.js';
import { bucketOf, HOUR, MINUTE } from '../../../src/store/rollup.js';
import { ensure, expectOnly, target } from '../target.js';
import { durationText, numberText } from './number-inputs.js';

const since = fc.oneof(
  { weight: 6, arbitrary: durationText(1_000, MAX_HISTORY_SPAN_MS) },
  { weight: 1, arbitrary: fc.constantFrom('2024-01-01', '2024-13-45', '9999-12-31T23:59:59Z', '0000-01-01', '2024-01-01T00:00:00+99:00', '2024-02-30') },
);

/** A start time: near now and the retention's edge, in the future, or no time at all. */
const from = (now: number) =>
  fc.oneof(
    fc.integer({ min: -5_000, max: 5_000 }).map((d) => String(now - MAX_HISTORY_SPAN_MS + d)),
    fc.integer({ min: -5_000, max: 5_000 }).map((d) => String(now + d)),
    fc.integer({ min: 0, max: MAX_HISTORY_SPAN_MS }).map((d) => String(now - d)),
    fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
    numberText(0, now),
  );

/** Mostly one of since and from, as a caller means it; sometimes both (refused) or neither (the default hour). */
const input = fc.integer({ min: 1_600_000_000_000, max: 4_100_000_000_000 }).chain((now) =>
  fc.record({
    now: fc.constant(now),
    range: fc.oneof(
      { weight: 5, arbitrary: fc.record({ since, from: fc.constant(null) }) },
      { weight: 4, arbitrary: fc.record({ since: fc.constant(null), from: from(now) }) },
      { weight: 1, arbitrary: fc.record({ since, from: from(now) }) },
      { weight: 1, arbitrary: fc.constant({ since: null, from: null }) },
    ),
    resolution: fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 6, arbitrary: fc.constantFrom('raw', '1m', '1h') },
      { weight: 1, arbitrary: fc.constantFrom('1s', 'RAW', '', '1M') },
    ),
    series: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 5_000 }), fc.constantFrom(2_000, 2_001, 3_334, 200_000, 200_001)),
    /** Raw samples the store finds per series, as a share of one a second. */
    rawShare: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

/** Buckets per series in the grid the store returns for [from, to] (SqliteMetricStore.rollupPoints). */
function gridBuckets(fromMs: number, toMs: number, width: number): number {
  const first = bucketOf(Math.ceil(fromMs / 1000), width);
  const last = bucketOf(Math.floor(toMs / 1000), width);
  return last < first ? 0 : (last - first) / width + 1;
}

const refusal = (e: Error): string => (e instanceof ApiError ? `ApiError ${e.statusCode} ${e.code}` : `HistoryLimitError ${(e as HistoryLimitError).kind}`);

function checkEventsSince(text: string, now: number): void {
  const r = expectOnly(() => sinceParam(text, now), ApiError);
  if (r.error) return ensure((r.error as ApiError).statusCode === 400, () => `events since=${text}: ${refusal(r.error!)}`);
  ensure(Number.isSafeInteger(r.value), () => `events since=${JSON.stringify(text)} gave ${r.value}`);
}

export default target({
  name: 'history-range',
  what: 'the history query (since, from, resolution, series, raw samples) through the counters route’s own checks: typed 400s only; an accepted range is a safe span within the retention, after 1970 and not after now; allowed ranges are never refused; an accepted answer holds at most MAX_HISTORY_POINTS points',
  arbitrary: input,
  check: ({ now, range: { since: s, from: f }, resolution: res, series, rawShare }) => {
    if (s !== null) checkEventsSince(s, now);
    const q: Record<string, string> = {};
    if (s !== null) q.since = s;
    if (f !== null) q.from = f;
    if (res !== null) q.resolution = res;
    // Fastify answers 400 for what its schema refuses: nothing of the route runs.
    if (!Value.Check(HistoryQuery, q)) return;
    const query = q as HistoryQuery;
    if (query.since !== undefined && query.from !== undefined) return;

    let start: number;
    let spanMs: number;
    let allowed: boolean;
    let range: { error?: Error | undefined };
    if (query.from !== undefined) {
      start = Number(query.from);
      spanMs = now - start;
      allowed = start <= now && spanMs <= MAX_HISTORY_SPAN_MS;
      range = expectOnly(() => checkFrom(start, now, API_WORDS), HistoryLimitError);
    } else {
      const text = query.since;
      allowed = text === undefined || (durationProblem(text) === null && parseDuration(text) <= MAX_HISTORY_SPAN_MS);
      // The route's default is the last hour.
      const parsed = expectOnly(() => (text === undefined ? 3_600_000 : durationParam('since', text)), ApiError);
      if (parsed.error) {
        const e = parsed.error as ApiError;
        ensure(e.statusCode === 400 && e.code === 'invalidRequest', () => `since=${text}: ${refusal(e)}`);
        return ensure(!allowed, () => `since=${text} is a duration within the retention, refused: ${e.message}`);
      }
      spanMs = parsed.value;
      start = now - spanMs;
      range = expectOnly(() => checkSpan(spanMs, API_WORDS), HistoryLimitError);
    }
    if (range.error) {
      ensure((range.error as HistoryLimitError).kind === 'range', () => `range refused as ${refusal(range.error!)}`);
      return ensure(!allowed, () => `from ${start}, span ${spanMs} ms at now ${now} is within the retention, refused: ${range.error!.message}`);
    }
    ensure(allowed, () => `accepted a range of ${spanMs} ms from ${start} (now ${now}): outside the rules`);
    ensure(Number.isSafeInteger(start) && Number.isSafeInteger(spanMs), () => `accepted from ${start}, span ${spanMs}: not safe integers`);
    ensure(spanMs >= 0 && spanMs <= MAX_HISTORY_SPAN_MS && start >= 0 && start <= now, () => `accepted from ${start}, span ${spanMs} ms at now ${now}`);
    ensure(now - start === spanMs, 'the span is not now − from');

    const resolution: Resolution = query.resolution ?? resolutionFor(spanMs);
    ensure(['raw', '1m', '1h'].includes(resolution), () => `resolution ${resolution}`);
    const grid = expectOnly(() => checkGrid(series, spanMs, resolution, API_WORDS), HistoryLimitError);
    if (grid.error) {
      const e = grid.error as HistoryLimitError;
      ensure(e.kind === 'points' && e.details !== undefined && e.details.points > MAX_HISTORY_POINTS, () => `grid refused: ${e.message}`);
      return ensure(!/NaN|Infinity/.test(e.message), () => `grid refusal: ${e.message}`);
    }
    // The answer as the store would build it: a full grid per series for rollups, at most a sample a second raw.
    const perSeries = resolution === 'raw' ? Math.floor((rawShare * spanMs) / 1000) : gridBuckets(start, now, resolution === '1m' ? MINUTE : HOUR);
    const points = series * perSeries;
    ensure(Number.isSafeInteger(points), () => `${series} series × ${perSeries}`);
    // Only the lengths are read: stand-ins, not millions of points.
    const k = Math.min(series, 10);
    const answer = Array.from({ length: k }, (_, i) => ({
      points: { length: i === 0 ? points - perSeries * (k - 1) : perSeries } as unknown as readonly unknown[],
    }));
    const counted = expectOnly(() => checkAnswer(answer, resolution, API_WORDS), HistoryLimitError);
    if (counted.error) return ensure(points > MAX_HISTORY_POINTS, () => `an answer of ${points} points refused: ${counted.error!.message}`);
    ensure(points <= MAX_HISTORY_POINTS, () => `an answer of ${points} points accepted (${series} series × ${perSeries} at ${resolution})`);
  },
});
