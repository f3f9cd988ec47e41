/**
 * The agent's HTTP control plane: the JSON API under /api/v1 (token auth, audit log, live
 * stream), its OpenAPI document and docs page (behind the token unless publicDocs), Prometheus
 * /metrics, and the dashboard at /; over HTTPS when given a certificate, with security headers
 * on every answer.
 * `buildServer` returns a fastify instance that is not listening yet: `app.inject()` tests it
 * without a socket, `app.listen()` serves it. With `poll`, it also polls the inventory for as
 * long as it runs (started when ready, stopped on close).
 */
import { describeError } from '../protocol/describe-error.js';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type onRequestHookHandler } from 'fastify';
import { pino } from 'pino';
import type { AgentStore } from '../store/index.js';
import type { MetricStore } from '../store/metric-store.js';
import type { ConfigCache } from '../store/config-cache.js';
import { installAudit } from './audit.js';
import { authenticate } from './auth.js';
import { createContext, type ApiContext } from './context.js';
import { serveDashboard } from './static-files.js';
import type { OpenDriver } from '../provision/driver-pool.js';
import { MAX_RULE_TEXT_BYTES, positionOf, RULE_TEXT_LIMITS, scanRuleText } from '../rules/index.js';
import { ApiError, installErrorHandling } from './errors.js';
import { FailoverFeed } from './failover-feed.js';
import { installOwnerForwarding } from './forward-to-owner.js';
import { summarize } from './fleet-summary.js';
import { PollLoop } from './poll-loop.js';
import { urlForLog } from './request-log.js';
import { API_ROUTES } from './routes/index.js';
import { ErrorResponse } from './schemas.js';
import { installSecurityHeaders } from './security-headers.js';
import type { TlsPair } from './tls.js';
import { DEFAULT_MAX_STREAMS, DEFAULT_STREAM_BUFFER_BYTES, streamRoutes, type StreamMessage } from './sse.js';

export interface ServerOptions {
  store: AgentStore;
  /** Poll the inventory this often while serving; false or absent: no polling. */
  /**
   * `metrics`: the store the poller writes to instead of `store.metrics` (one that also sends them on, src/poller/remote-write/);
   * `flush`: sends what that store still holds, run as polling stops, before this agent lets go of its appliances.
   */
  poll?: { intervalMs: number; metrics?: MetricStore; flush?: () => Promise<unknown> } | false;
  /** Serve /metrics without a token (for a Prometheus that scrapes without one). */
  metricsPublic?: boolean;
  /** Log level for the JSON logs on stderr, or false for none (default $FULCRUM_LOG or info). */
  logLevel?: string | false;
  /** Seconds between SSE heartbeats, ms (default 15 s). */
  heartbeatMs?: number;
  /** Live streams served at once (default 100); more are answered 429. */
  maxStreams?: number;
  /** Bytes one stream client may leave unread before it is dropped (default 1 MiB). */
  streamBufferBytes?: number;
  /** Serve the OpenAPI document and the docs page without a token (default: a token, like the API). */
  publicDocs?: boolean;
  /** Serve HTTPS with this certificate and key (default: plain HTTP). */
  tls?: TlsPair;
  openDriver?: OpenDriver;
  configCache?: ConfigCache;
  /**
   * Serve the inventory's consoles to other commands on this machine (src/control), as
   * `fulcrum serve` does: its pool holds them, so a CLI command goes through it.
   */
  holdConsoles?: boolean;
  /** On a shared (server) store: this agent's site, capacity, and the URL the other agents reach this API at. */
  sharing?: { site?: string; capacity?: number; apiUrl?: () => string | null };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The agent behind the routes: store, fleet state, drivers, live hub. */
    fulcrum: ApiContext;
  }
}

export const API_PREFIX = '/api/v1';
/** The largest rule table (MAX_RULE_TEXT_BYTES) and room for the JSON around it (`{rules: "…"}`). */
const BODY_LIMIT = MAX_RULE_TEXT_BYTES + 1024 * 1024;

function loggerOptions(level: string | false | undefined): FastifyServerOptions['logger'] {
  if (level === false) return false;
  return {
    level: level ?? process.env.FULCRUM_LOG ?? 'info',
    name: 'api',
    // stdout carries the ready line: logs go to stderr, like every fulcrum command's.
    stream: pino.destination({ fd: 2, sync: true }),
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: urlForLog(req.url), remoteAddress: req.ip }),
    },
  } as FastifyServerOptions['logger'];
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // Typed as the HTTP server the routes see either way: nothing below depends on which it is.
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    logger: loggerOptions(options.logLevel),
    bodyLimit: BODY_LIMIT,
    // Bodies are checked as sent: no silent coercion ("5" is not 5) and no dropping of unknown
    // fields; query strings are declared as strings and parsed by the routes.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }) as unknown as FastifyInstance;
  const pollIntervalMs = options.poll ? options.poll.intervalMs : undefined;
  const ctx = createContext({
    store: options.store,
    ...(options.openDriver ? { openDriver: options.openDriver } : {}),
    ...(options.configCache ? { configCache: options.configCache } : {}),
    ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
  });
  app.decorate('fulcrum', ctx);

  installErrorHandling(app);
  await installSecurityHeaders(app, { tls: options.tls !== undefined });
  installBodyParsers(app);
  app.addSchema(ErrorResponse);
  const tokenAuth = authenticate(options.store.tokens);
  await installOpenApi(app, options.publicDocs ? null : tokenAuth);

  let lastCounters: StreamMessage | null = null;
  ctx.hub.subscribe((m) => {
    if (m.type === 'counters') lastCounters = m;
  });

  app.get(
    '/metrics',
    {
      ...(options.metricsPublic ? {} : { onRequest: tokenAuth }),
      schema: {
        summary: 'Prometheus exposition: fleet counters from the last poll, polling, and the agent process',
        tags: ['metrics'],
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.text()),
  );

  // Created below once the routes are in; the owner forwarding asks it who this agent is.
  let loop: PollLoop | null = null;
  await app.register(
    async (api) => {
      api.addHook('onRequest', tokenAuth);
      installAudit(api, ctx);
      installOwnerForwarding(api, ctx, () => loop?.agentId ?? null);
      streamRoutes(api, {
        hub: ctx.hub,
        heartbeatMs: options.heartbeatMs ?? 15_000,
        initial: () => lastCounters,
        maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
        maxBufferBytes: options.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES,
      });
      for (const routes of API_ROUTES) await routes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  await serveDashboard(app);

  // Before the poll loop's hooks: the feed knows where the log ends before the first poll writes to it.
  const failovers = new FailoverFeed(options.store.events, ctx.hub, app.log, undefined, options.store.ownership ? { publishedHere: ctx.publishedHere } : null);
  app.addHook('onReady', async () => failovers.start());
  app.addHook('preClose', async () => failovers.stop());

  if (options.poll) {
    const polling = new PollLoop({
      store: options.store,
      fleet: ctx.fleet,
      drivers: ctx.drivers,
      intervalMs: options.poll.intervalMs,
      ...(options.poll.metrics ? { metrics: options.poll.metrics } : {}),
      ...(options.poll.flush ? { flush: options.poll.flush } : {}),
      log: app.log,
      ...(options.sharing ? { sharing: options.sharing } : {}),
      observer: {
        onEvents: async (events, fence) => {
          for (const e of events) await ctx.recordEvent(e, fence);
        },
        onPoll: (appliance, seconds, ok) => ctx.metrics.observePoll(appliance, seconds, ok),
        onCycle: (seconds, names) => {
          ctx.metrics.observeCycle(seconds);
          const polled = new Set(names);
          ctx.hub.publish('counters', {
            at: Date.now(),
            appliances: ctx.fleet
              .all()
              .filter((s) => polled.has(s.name))
              .map(summarize),
          });
        },
        onRemoved: (appliance) => {
          ctx.metrics.forget(appliance);
          void ctx.drivers.forget(appliance);
        },
      },
    });
    loop = polling;
    app.addHook('onReady', async () => polling.start());
    app.addHook('preClose', async () => polling.stop());
  }
  if (options.holdConsoles) {
    const { holdConsoles } = await import('../control/hold.js');
    let hold: Awaited<ReturnType<typeof holdConsoles>> | null = null;
    let timer: NodeJS.Timeout | null = null;
    app.addHook('onReady', async () => {
      // On a shared store only the consoles of the appliances this agent owns are its to hold.
      const ours = async () => {
        const all = await options.store.inventory.list();
        const ownership = options.store.ownership;
        if (!ownership) return all;
        const owners = await ownership.owners();
        return all.filter((r) => loop?.agentId != null && owners.get(r.name) === loop.agentId);
      };
      hold = await holdConsoles({ command: 'fulcrum serve', pool: ctx.drivers, records: await ours() });
      // The inventory (and on a shared store, ownership) changes: the held consoles follow it.
      timer = setInterval(() => {
        ours().then(
          (records) => hold?.refresh(records),
          (err: unknown) => app.log.warn({ err: describeError(err) }, 'reading the inventory for the held consoles failed'),
        );
      }, 2_000).unref();
    });
    app.addHook('preClose', async () => {
      if (timer) clearInterval(timer);
      await hold?.close();
    });
  }
  app.addHook('onClose', async () => {
    await ctx.rules.close();
    await ctx.drivers.close();
  });
  return app;
}

/**
 * YAML bodies as text (loaded, with its limits, by the rule loader); JSON parsed as fastify does
 * once its nesting passed the same scan as rule text, its text kept for rule errors' positions.
 */
function installBodyParsers(app: FastifyInstance): void {
  app.decorateRequest('rawBody', null);
  app.addContentTypeParser(['text/yaml', 'application/yaml', 'application/x-yaml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const limits = { ...RULE_TEXT_LIMITS, maxBytes: BODY_LIMIT };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const problem = scanRuleText(text, limits).problem;
    if (problem) {
      const { line, column } = positionOf(text, problem.offset);
      done(new ApiError(400, problem.limit === 'depth' ? 'tooDeep' : 'tooManyAliases', `body:${line}:${column} ${problem.message}`), undefined);
      return;
    }
    request.rawBody = text;
    // The default parser answers through the callback; its return value carries nothing.
    void parseJson(request, text, (err, value) => {
      if (!err) return done(null, value);
      // Say where the JSON went wrong, as JSON.parse knows it.
      let why = err.message;
      try {
        JSON.parse(text);
      } catch (parseError) {
        why = (parseError as Error).message;
      }
      done(new ApiError(400, 'invalidJson', text.length === 0 ? 'the body is empty; send a JSON document' : `the body is not valid JSON: ${why}`), undefined);
    });
  });
}

/** The OpenAPI document and the docs page (every file of it), behind `auth` unless that is null (--public-docs). */
async function installOpenApi(app: FastifyInstance, auth: onRequestHookHandler | null): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Fulcrum agent API',
        version: '1',
        description:
          'Fleet management for Fulcrum load-balancer appliances. Every route needs `Authorization: Bearer TOKEN` (`fulcrum token create`); read tokens may not change anything.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas appear under components by their $id ("Error").
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: `${API_PREFIX}/docs`,
    uiConfig: { docExpansion: 'list', deepLinking: true },
    ...(auth ? { uiHooks: { onRequest: auth } } : {}),
  });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true }, ...(auth ? { onRequest: auth } : {}) }, async () => app.swagger());
}
