/**
 * Counters: read live from the appliance, or their history from the store as the poll loop
 * (or `fulcrum monitor`) recorded it, within the bounds of history-limits.ts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../protocol/rules/index.js';
import { chosenSeries, counterHistory, hasHistory, resolutionFor } from '../../store/history.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { historyBody } from '../history-body.js';
import { API_WORDS, checkAnswer, checkFrom, checkGrid, checkSpan, HistoryLimitError } from '../history-limits.js';
import { CountersResponse, errors, HistoryQuery, HistoryResponse, NameParams, SteppedHistoryResponse } from '../schemas.js';
import { StepQueryError, steppedQuery, type StepQuery } from '../stepped-history.js';
import type { SteppedHistory } from '../../store/history-steps.js';

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

/** `step=`: the rows of src/store/history-steps.ts, through the query `fulcrum counters --step` makes (stepped-history.ts). */
async function stepped(ctx: ApiContext, name: string, q: HistoryQuery, range: Omit<StepQuery, 'stepMs'>): Promise<SteppedHistory> {
  if (q.rate !== undefined) throw new ApiError(400, 'invalidRequest', 'querystring: give step or rate, not both (every step row has its rate already)');
  if (q.resolution !== undefined) throw new ApiError(400, 'invalidRequest', 'querystring: give step or resolution, not both (the step chooses the resolution)');
  const stepMs = durationParam('step', q.step!);
  const words = {
    ...API_WORDS,
    step: `querystring.step (${q.step})`,
    span: q.from !== undefined ? 'the range from querystring.from' : `querystring.since (${q.since ?? '1h'})`,
    filters: API_WORDS.filters!,
  };
  try {
    return await steppedQuery(ctx.store.metrics, name, { ...range, stepMs }, words);
  } catch (err) {
    if (err instanceof StepQueryError) throw err.kind === 'noSeries' ? notFound(err.message) : new ApiError(400, 'invalidRequest', err.message);
    throw limitAnswer(err);
  }
}

/** A history limit as the API answers it: 400, the range as invalidRequest, too many points as tooManyPoints. */
function limited<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw limitAnswer(err);
  }
}

function limitAnswer(err: unknown): unknown {
  if (!(err instanceof HistoryLimitError)) return err;
  return new ApiError(400, err.kind === 'range' ? 'invalidRequest' : 'tooManyPoints', err.message, err.details);
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
      const record = await ctx.appliance(request.params.name);
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
        response: { 200: Type.Union([HistoryResponse, SteppedHistoryResponse]), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const q = request.query;
      const to = Date.now();
      const { from, spanMs } = span(q, to);
      if (!(await ctx.store.inventory.get(name)) && !(await hasHistory(ctx.store.metrics, name)))
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
        ...(q.backend !== undefined ? { backend: q.backend } : {}),
      };
      if (q.step !== undefined) return stepped(ctx, name, q, { from, to, spanMs, ...selection });
      const chosen = await chosenSeries(ctx.store.metrics, name, selection);
      limited(() => checkGrid(chosen.length, spanMs, resolution, API_WORDS));
      const history = await counterHistory(ctx.store.metrics, name, { from, to, resolution, rate: q.rate === 'true', ...selection }, chosen);
      limited(() => checkAnswer(history.series, resolution, API_WORDS));
      // Already JSON, as the schema's serializer would write it (src/api/history-body.ts).
      return reply.type('application/json; charset=utf-8').send(historyBody(history));
    },
  );
}
