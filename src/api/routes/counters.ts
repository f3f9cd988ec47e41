/**
 * Counters: read live from the appliance, or their history from the store as the poll loop
 * (or `fulcrum monitor`) recorded it, within the bounds of history-limits.ts.
 */
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../protocol/rules/index.js';
import { chosenSeries, counterHistory, hasHistory, resolutionFor } from '../../store/history.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { API_WORDS, checkAnswer, checkFrom, checkGrid, checkSpan, HistoryLimitError } from '../history-limits.js';
import { CountersResponse, errors, HistoryQuery, HistoryResponse, NameParams } from '../schemas.js';

const DEFAULT_SPAN_MS = 3_600_000;

/** A query's duration or complaint naming the parameter. */
export function durationParam(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new ApiError(400, 'invalidRequest', `querystring.${name}: ${(err as Error).message}`);
  }
}

/** The range asked for, checked against the retention before anything is computed from it. */
function span(q: HistoryQuery, now: number): { from: number; spanMs: number } {
  if (q.since !== undefined && q.from !== undefined) throw new ApiError(400, 'invalidRequest', 'querystring: give since or from, not both');
  if (q.from !== undefined) {
    const from = Number(q.from);
    limited(() => checkFrom(from, now, API_WORDS));
    return { from, spanMs: now - from };
  }
  const spanMs = q.since === undefined ? DEFAULT_SPAN_MS : durationParam('since', q.since);
  limited(() => checkSpan(spanMs, API_WORDS));
  return { from: now - spanMs, spanMs };
}

/** A history limit as the API answers it: 400, the range as invalidRequest, too many points as tooManyPoints. */
function limited<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof HistoryLimitError)) throw err;
    throw new ApiError(400, err.kind === 'range' ? 'invalidRequest' : 'tooManyPoints', err.message, err.details);
  }
}

export function counterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['counters'];

  app.get<{ Params: NameParams }>(
    '/appliances/:name/counters',
    {
      schema: {
        summary: 'Counters per service and backend, read live from the appliance',
        tags,
        params: NameParams,
        response: { 200: CountersResponse, ...errors(401, 404, 502, 504) },
      },
    },
    async (request) => {
      const record = ctx.appliance(request.params.name);
      const snapshot = await ctx.drivers.use(record, (d) => d.counters());
      return { appliance: record.name, at: Date.now(), services: snapshot.services };
    },
  );

  app.get<{ Params: NameParams; Querystring: HistoryQuery }>(
    '/appliances/:name/counters/history',
    {
      schema: {
        summary: 'Counters over time from the store: increases per step (or per second with rate=true), gauges as read, gaps as null',
        tags,
        params: NameParams,
        querystring: HistoryQuery,
        response: { 200: HistoryResponse, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const q = request.query;
      const to = Date.now();
      const { from, spanMs } = span(q, to);
      if (!ctx.store.inventory.get(name) && !hasHistory(ctx.store.metrics, name))
        throw notFound(`no appliance named "${name}" in the inventory, and nothing stored under that name`);
      const counters = q.counter
        ?.split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      const resolution = q.resolution ?? resolutionFor(spanMs);
      const selection = {
        ...(counters ? { counters } : {}),
        ...(q.service !== undefined ? { service: q.service } : {}),
        ...(q.level !== undefined ? { serviceLevel: q.level === 'service' } : {}),
      };
      limited(() => checkGrid(chosenSeries(ctx.store.metrics, name, selection).length, spanMs, resolution, API_WORDS));
      const history = counterHistory(ctx.store.metrics, name, { from, to, resolution, rate: q.rate === 'true', ...selection });
      limited(() => checkAnswer(history.series, resolution, API_WORDS));
      return history;
    },
  );
}
