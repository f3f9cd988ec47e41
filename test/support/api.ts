import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../../src/api/server.js';
import { ConfigCache } from '../../src/store/config-cache.js';
import { openStore, type AgentStore } from '../../src/store/index.js';
import { waitUntil } from './eventually.js';

export interface ApiHarness {
  app: FastifyInstance;
  store: AgentStore;
  dir: string;
  admin: string;
  read: string;
  /** Set when started with listen: true. */
  url: string;
  close(): Promise<void>;
}

/**
 * The agent's API on a real SQLite file in a temp directory, with an admin and a read token.
 * listen: true serves it on a loopback port (for the stream and the browser); otherwise
 * `app.inject` reaches it without a socket.
 */
export async function startApi(options: Partial<Omit<ServerOptions, 'store'>> & { listen?: boolean } = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-api-'));
  const store = await openStore({ file: path.join(dir, 'fulcrum.db') });
  const admin = (await store.tokens.create({ role: 'admin', name: 'ops' })).token;
  const read = (await store.tokens.create({ role: 'read', name: 'viewer' })).token;
  const { listen, ...server } = options;
  const app = await buildServer({ store, logLevel: false, configCache: new ConfigCache(path.join(dir, 'configs')), ...server });
  let url = '';
  if (listen) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  } else {
    await app.ready();
  }
  return {
    app,
    store,
    dir,
    admin,
    read,
    url,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Waits until `check` returns a value other than undefined/false, polling every 50 ms, up to `ms`. */
export const eventually = <T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> =>
  waitUntil(what, check, ms, 50);

export interface StreamEvent {
  id: string | null;
  type: string;
  data: unknown;
}

/**
 * An SSE client over plain HTTP: collects the stream's events (and comment lines, such as
 * heartbeats) as they arrive; `next` waits for the first matching one not yet taken.
 */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const { request } = await import('node:http');
  const events: StreamEvent[] = [];
  const comments: string[] = [];
  let taken = 0;
  let buffer = '';
  const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, resolve);
    req.on('error', reject);
    req.end();
  });
  let ended = false;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = { id: null as string | null, type: 'message', data: [] as string[] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('id: ')) fields.id = line.slice(4);
        else if (line.startsWith('event: ')) fields.type = line.slice(7);
        else if (line.startsWith('data: ')) fields.data.push(line.slice(6));
      }
      if (fields.data.length > 0) events.push({ id: fields.id, type: fields.type, data: JSON.parse(fields.data.join('\n')) });
    }
  });
  response.on('end', () => (ended = true));
  return {
    status: response.statusCode,
    headers: response.headers,
    events,
    comments,
    get ended() {
      return ended;
    },
    async next<T>(type: string, match: (data: T) => boolean = () => true, ms = 15_000): Promise<T> {
      return eventually(
        () => {
          for (let i = taken; i < events.length; i++) {
            const e = events[i]!;
            if (e.type === type && match(e.data as T)) {
              taken = i + 1;
              return e.data as T;
            }
          }
          return undefined;
        },
        ms,
        `a "${type}" event`,
      );
    },
    close() {
      response.destroy();
    },
  };
}
