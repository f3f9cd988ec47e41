/**
 * Counters: read live from the appliance, or their history from the store as the poll loop
 * (or `fulcrum monitor`) recorded it.
 */
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../protocol/rules/index.js';
import { counterHistory, hasHistory, resolutionFor } from '../../store/history.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
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

function span(q: HistoryQuery, now: number): { from: number; spanMs: number } {
  if (q.since !== undefined && q.from !== undefined) throw new ApiError(400, 'invalidRequest', 'querystring: give since or from, not both');
  if (q.from !== undefined) {
    const from = Number(q.from);
    if (from > now) throw new ApiError(400, 'invalidRequest', 'querystring.from: is in the future');
    return { from, spanMs: now - from };
  }
  const spanMs = q.since === undefined ? DEFAULT_SPAN_MS : durationParam('since', q.since);
  return { from: now - spanMs, spanMs };
}

export function counterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['counters'];

  app.get<{ Params: NameParams }>(
    '/appliances/:name/counters',
    { schema: { summary: 'Counters per service and backend, read live from the appliance', tags, params: NameParams, response: { 200: CountersResponse, ...errors(401, 404, 502, 504) } } },
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
      if (!ctx.store.inventory.get(name) && !hasHistory(ctx.store.metrics, name)) throw notFound(`no appliance named "${name}" in the inventory, and nothing stored under that name`);
      const counters = q.counter
        ?.split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      return counterHistory(ctx.store.metrics, name, {
        from,
        to,
        resolution: q.resolution ?? resolutionFor(spanMs),
        rate: q.rate === 'true',
        ...(counters ? { counters } : {}),
        ...(q.service !== undefined ? { service: q.service } : {}),
        ...(q.level !== undefined ? { serviceLevel: q.level === 'service' } : {}),
      });
    },
  );
}
