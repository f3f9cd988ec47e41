/**
 * The event log (appliance events: unreachable, config changed, backend state, commits,
 * rollbacks, traps) and the audit log (who changed what), newest first.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_AUDIT_LIMIT } from '../../store/audit.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { AuditResponse, errors, EventsQuery, EventsResponse, ListQuery } from '../schemas.js';
import { durationParam } from './counters.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** `since` as a duration back from now ("1h") or an ISO 8601 time → ms. */
export function sinceParam(since: string | undefined, now = Date.now()): number | undefined {
  if (since === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}/.test(since)) {
    const at = Date.parse(since);
    if (Number.isNaN(at)) throw new ApiError(400, 'invalidRequest', `querystring.since: "${since}" is not an ISO 8601 time`);
    return at;
  }
  // Further back than 1970 means everything there is.
  return Math.max(0, now - durationParam('since', since));
}

function limitParam(limit: string | undefined, max: number): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  const n = Number(limit);
  if (n < 1 || n > max) throw new ApiError(400, 'invalidRequest', `querystring.limit: must be 1..${max}`);
  return n;
}

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: EventsQuery }>(
    '/events',
    {
      schema: {
        summary: 'Appliance events, newest first; with `after`, those appended after that id, oldest first',
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: EventsResponse, ...errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const from = sinceParam(q.since);
      // Paging forward goes oldest first: newest first, a page would skip what came before its
      // `limit` newest when more than that were appended since the follower's last look.
      const afterId = q.after === undefined ? undefined : Number(q.after);
      const events = await ctx.store.events.query({
        order: afterId === undefined ? 'desc' : 'asc',
        limit: limitParam(q.limit, MAX_LIMIT),
        ...(afterId !== undefined ? { afterId } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(q.appliance !== undefined ? { appliance: q.appliance } : {}),
      });
      return { events, lastId: await ctx.store.events.lastId() };
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/audit',
    {
      schema: {
        summary: 'The audit log: every change asked of the API (and token changes), newest first',
        tags: ['audit'],
        querystring: ListQuery,
        response: { 200: AuditResponse, ...errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const from = sinceParam(q.since);
      const entries = await ctx.store.audit.list({
        limit: limitParam(q.limit, Math.min(MAX_LIMIT, MAX_AUDIT_LIMIT)),
        ...(from !== undefined ? { from } : {}),
        ...(q.appliance !== undefined ? { appliance: q.appliance } : {}),
      });
      return { entries };
    },
  );
}
