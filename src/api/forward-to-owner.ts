/**
 * On a store several agents share, a change to an appliance goes to the agent that owns it (the
 * holder of its lease, src/store/ownership.ts): that agent holds its console and polls it, so
 * its pool serialises the change with its polls, and its fleet state knows the change as its
 * own. A change request (not GET/HEAD) for /appliances/:name/… that reaches another agent's
 * server is handed on to the owner's API with the caller's token (tokens live in the shared
 * store, so they are valid there too) and its answer returned as it came — status, type, body
 * and an `x-fulcrum-owner` header naming the agent that did it. Only one hop: a request that
 * was handed on already is served where it lands. The owner writes the audit entry; the agent
 * that handed it on writes none (the change is not its own).
 *
 * An owner without an API (a `fulcrum monitor`) cannot be handed anything: a change to an
 * appliance on a console it holds is refused (409 ownedElsewhere, naming it); one over SNMP,
 * which takes several managers, is made here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consoleKey } from '../control/owners.js';
import { noteChange } from './audit.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';

export const FORWARDED_HEADER = 'x-fulcrum-forwarded-by';
export const OWNER_HEADER = 'x-fulcrum-owner';
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'accept-encoding']);

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function installOwnerForwarding(api: FastifyInstance, ctx: ApiContext, self: () => string | null): void {
  const ownership = ctx.store.ownership;
  if (!ownership) return;
  api.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (SAFE.has(request.method) || request.headers[FORWARDED_HEADER] !== undefined) return;
    const name = (request.params as { name?: unknown } | undefined)?.name;
    const me = self();
    if (typeof name !== 'string' || me === null || !request.routeOptions.url?.startsWith('/api/v1/appliances/:name')) return;
    const owner = (await ownership.owners()).get(name);
    if (owner === undefined || owner === me) return;
    const record = (await ownership.agents()).find((a) => a.id === owner && a.live);
    if (!record?.apiUrl) {
      const target = (await ctx.store.inventory.get(name))?.target ?? '';
      if (consoleKey(target) === null) return;
      throw new ApiError(
        409,
        'ownedElsewhere',
        `${name}'s console is held by agent ${owner}${record ? ` (${record.command} on ${record.host})` : ''}, which serves no API: make the change there`,
        {
          owner,
        },
      );
    }
    noteChange(request, { unaudited: true });
    const answer = await handOn(request, record.apiUrl, me).catch((err: unknown) => {
      throw new ApiError(
        502,
        'ownerUnreachable',
        `${name} is owned by agent ${owner}, whose API at ${record.apiUrl} did not answer: ${(err as Error).message}`,
        { owner },
      );
    });
    reply.code(answer.status).header(OWNER_HEADER, owner);
    const type = answer.headers.get('content-type');
    if (type) reply.type(type);
    return reply.send(Buffer.from(await answer.arrayBuffer()));
  });
}

async function handOn(request: FastifyRequest, base: string, me: string): Promise<Response> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(request.headers)) if (!HOP_HEADERS.has(k) && typeof v === 'string') headers.set(k, v);
  headers.set(FORWARDED_HEADER, me);
  const body =
    request.body === undefined || request.body === null
      ? undefined
      : Buffer.isBuffer(request.body)
        ? request.body
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
  return fetch(new URL(request.url, base), { method: request.method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(120_000) });
}
