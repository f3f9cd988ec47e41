/**
 * Every change asked of the API is written to the audit log before its answer leaves: who (the
 * token's name and id), what (method, route, appliance), when, the outcome, and — for rule
 * changes — the config ids before and after, which routes note with `noteChange`. Routes that
 * change nothing (GETs; POSTs marked `audit: false`; dry runs, which note `unaudited`) are not logged. Each entry also goes to the
 * live stream.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../store/audit.js';
import type { ApiContext } from './context.js';

export interface ChangeNote {
  /** The appliance changed, when the route's path does not name it (adding one). */
  appliance?: string;
  configBefore?: string | null;
  configAfter?: string | null;
  detail?: Record<string, unknown>;
  /** A request that asked to change nothing after all (a dry run): left out of the log, as the CLI's are. */
  unaudited?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What a changing route records about its change, for the audit log. */
    change: ChangeNote | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Called by a route once it knows the config ids around its change (also on failure, as far as known). */
export function noteChange(request: FastifyRequest, note: ChangeNote): void {
  request.change = { ...request.change, ...note, detail: { ...request.change?.detail, ...note.detail } };
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  return status === 403 ? 'denied' : 'failed';
}

export function installAudit(app: FastifyInstance, ctx: ApiContext): void {
  app.decorateRequest('change', null);
  app.addHook('onSend', async (request, reply, payload) => {
    if (SAFE_METHODS.has(request.method) || request.routeOptions.config.audit === false || request.change?.unaudited || !request.actor) return payload;
    const status = reply.statusCode;
    const note = request.change ?? {};
    const params = request.params as { name?: unknown } | undefined;
    const entry = await ctx.store.audit.append({
      ts: Date.now(),
      actor: { id: request.actor.id, name: request.actor.name },
      action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      appliance: note.appliance ?? (typeof params?.name === 'string' ? params.name : null),
      status,
      outcome: outcomeOf(status),
      configBefore: note.configBefore ?? null,
      configAfter: note.configAfter ?? null,
      detail: { ...note.detail, ...(request.failure ? { error: request.failure.message, code: request.failure.code } : {}) },
    });
    ctx.hub.publish('event', { source: 'audit', ...entry });
    return payload;
  });
}
