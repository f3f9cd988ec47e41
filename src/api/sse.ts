/**
 * Server-sent events: `GET /api/v1/stream` (text/event-stream) pushes
 * - `counters` after every poll cycle: `{at, appliances: [ApplianceSummary]}`;
 * - `event` for each appliance event and audit entry: `{source: 'appliance' | 'audit', ...}`;
 *   failover events come from the event log, whoever wrote them (failover-feed.ts);
 * and a comment line as heartbeat, so proxies and browsers keep an idle stream open. A client
 * that goes away is unsubscribed at once; stopping the server ends every stream.
 *
 * Bounded: at most `maxStreams` at once (429 beyond), and a client that does not read is dropped
 * once `maxBufferBytes` wait for it in the server's buffers, instead of being buffered for
 * without end (its EventSource reconnects, and gets the latest counters on connecting).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ApiError, sendError } from './errors.js';

export type StreamEventType = 'counters' | 'event';

export interface StreamMessage {
  id: number;
  type: StreamEventType;
  data: unknown;
}

type Listener = (message: StreamMessage) => void;

/** In-process publish/subscribe between what happens (polls, changes) and the open streams. */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private nextId = 1;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(type: StreamEventType, data: unknown): void {
    const message = { id: this.nextId++, type, data };
    for (const listener of [...this.listeners]) listener(message);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

/** One SSE frame. JSON never holds a raw newline, so `data:` is a single line. */
export function formatMessage(m: StreamMessage): string {
  return `id: ${m.id}\nevent: ${m.type}\ndata: ${JSON.stringify(m.data, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n\n`;
}

export interface StreamOptions {
  hub: EventHub;
  heartbeatMs: number;
  /** The message a client gets on connecting (the last counters), so a page has data at once. */
  initial?: () => StreamMessage | null;
  /** Streams open at once; more are refused with 429. */
  maxStreams: number;
  /** Bytes written to one client and not yet taken by it; past this the client is dropped. */
  maxBufferBytes: number;
}

export const DEFAULT_MAX_STREAMS = 100;
/** A minute of counters for a few hundred appliances. */
export const DEFAULT_STREAM_BUFFER_BYTES = 1024 * 1024;

export function streamRoutes(app: FastifyInstance, options: StreamOptions): void {
  const open = new Set<() => void>();
  // fastify.close() waits for open connections: end the streams first, or it never returns.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  app.get(
    '/stream',
    {
      config: { tokenInQuery: true },
      schema: {
        summary: 'Live counters and events (server-sent events)',
        description:
          'text/event-stream. Events: `counters` after each poll cycle, `event` for appliance events and audit entries; a comment line every heartbeat. ' +
          'EventSource cannot send headers, so this route also takes the token as `?token=`.',
        tags: ['live'],
        querystring: Type.Object(
          { token: Type.Optional(Type.String({ description: 'API token, for clients that cannot set Authorization' })) },
          { additionalProperties: false },
        ),
      },
    },
    (request, reply) => {
      if (open.size >= options.maxStreams) {
        return sendError(
          request,
          reply,
          new ApiError(
            429,
            'tooManyStreams',
            `${options.maxStreams} live streams are open, the most this agent serves at once: close one, or start serve with a higher --max-streams`,
          ),
        );
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Tells nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      });
      // write() buffers whatever the socket cannot take yet: look at how much waits, and drop a
      // client that lets it pile up rather than hold its backlog in memory.
      const send = (text: string) => {
        if (res.destroyed) return;
        res.write(text);
        if (res.writableLength > options.maxBufferBytes) {
          request.log.info({ buffered: res.writableLength }, 'stream dropped: the client does not keep up');
          res.destroy();
        }
      };
      send('retry: 3000\n\n');
      const first = options.initial?.();
      if (first) send(formatMessage(first));
      const unsubscribe = options.hub.subscribe((m) => send(formatMessage(m)));
      const heartbeat = setInterval(() => send(`: heartbeat ${Date.now()}\n\n`), options.heartbeatMs);
      heartbeat.unref();
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(end);
        if (!res.writableEnded) res.end();
      };
      open.add(end);
      res.on('close', end);
      request.log.debug({ subscribers: options.hub.subscribers }, 'stream opened');
    },
  );
}
