/**
 * Bearer tokens on every API route: `Authorization: Bearer TOKEN`. No token or an unknown one
 * is 401; a read token on a route that changes something is 403. Routes that change nothing but
 * are POSTs (validate, plan) say so with `config: {access: 'read'}`. EventSource cannot send
 * headers, so routes marked `tokenInQuery` (the live stream) also take `?token=`. Routes marked
 * `public` need no token at all: only those whose URL is itself the secret (a firmware image
 * named by its SHA-256, which an appliance fetches and cannot hold a token for).
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { TokenStore, TokenRecord, TokenRole } from '../store/tokens.js';
import { ApiError, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a token needs: default 'read' for GET/HEAD, 'admin' for anything else. */
    access?: TokenRole;
    /** The token may come as ?token= (for EventSource, which cannot set headers). */
    tokenInQuery?: boolean;
    /** false: a POST that changes nothing, left out of the audit log. */
    audit?: boolean;
    /** No token needed: a read-only route whose URL carries its own capability. */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The token this request was made with, once authenticated. */
    actor: TokenRecord | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function presented(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer TOKEN"');
    return m[1]!;
  }
  if (request.routeOptions.config.tokenInQuery) {
    const token = (request.query as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string' && token !== '') return token;
  }
  return null;
}

/** The role a route needs from the request's method and the route's `access`. */
export function neededRole(request: FastifyRequest): TokenRole {
  return request.routeOptions.config.access ?? (SAFE_METHODS.has(request.method) ? 'read' : 'admin');
}

/** Finds the request's token and checks its role; answers 401/403 itself. */
export function authenticate(tokens: TokenStore): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (request.routeOptions.config.public && SAFE_METHODS.has(request.method)) {
      done();
      return;
    }
    let token: string | null;
    try {
      token = presented(request);
    } catch (err) {
      sendError(request, reply, err as ApiError);
      return;
    }
    if (token === null) {
      sendError(
        request,
        reply,
        new ApiError(401, 'unauthorized', 'this route needs an API token: send "Authorization: Bearer TOKEN" (create one with `fulcrum token create`)'),
      );
      return;
    }
    tokens.verify(token).then(
      (record) => {
        if (!record) {
          sendError(request, reply, new ApiError(401, 'unauthorized', 'the API token is not valid (unknown or revoked)'));
          return;
        }
        request.actor = record;
        if (neededRole(request) === 'admin' && record.role !== 'admin') {
          const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
          sendError(
            request,
            reply,
            new ApiError(403, 'forbidden', `${route} changes the fleet: it needs an admin token, and token "${record.name}" has the read role`),
          );
          return;
        }
        done();
      },
      // The store could not be read (a server store restarting): the request fails, it is not let through.
      (err: unknown) => done(err as Error),
    );
  };
}
