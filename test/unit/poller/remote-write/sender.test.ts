/** The sender against a local HTTP endpoint: batching, order, retries on 5xx and network errors, none on 4xx, the bounded queue, the flush at stop. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteWriteSender, RemoteWriteUrlError, type QueuedSample, type SeriesRef } from '../../../../src/poller/remote-write/sender.js';
import { unsnappyBlock } from '../../../../src/poller/remote-write/snappy.js';
import type { TimeSeries } from '../../../../src/poller/remote-write/write-request.js';
import { decodeWriteRequest } from './decode.js';

interface Received {
  headers: IncomingMessage['headers'];
  series: TimeSeries[];
}

type Answer = (index: number, req: IncomingMessage, res: ServerResponse) => void;

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** An endpoint that decodes every request and answers as `answer` says (default 204). */
async function endpoint(answer: Answer = (_, __, res) => res.writeHead(204).end()) {
  const requests: Received[] = [];
  let index = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, series: decodeWriteRequest(unsnappyBlock(new Uint8Array(Buffer.concat(chunks)))) });
      answer(index++, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, requests };
}

function logSink() {
  const lines: string[] = [];
  return { lines, log: { warn: (obj: object, msg: string) => lines.push(`${msg} ${JSON.stringify(obj)}`) } };
}

const ref = (name: string): SeriesRef => ({ labels: [{ name: '__name__', value: name }] });

/** `n` samples of one series, timestamps 1000, 2000, … from `from`. */
function samples(series: SeriesRef, n: number, from = 0): QueuedSample[] {
  return Array.from({ length: n }, (_, i) => ({ series, value: from + i, timestamp: (from + i + 1) * 1000 }));
}

/** Timestamps received for a series, in arrival order. */
function received(requests: Received[], name: string): number[] {
  return requests.flatMap((r) => r.series.filter((s) => s.labels[0]!.value === name).flatMap((s) => s.samples.map((x) => x.timestamp)));
}

async function until(what: string, check: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RemoteWriteSender', () => {
  it('sends every sample once, in order, in requests of at most the batch size, with the remote-write headers', async () => {
    const ep = await endpoint();
    const sender = new RemoteWriteSender({ url: ep.url, maxSamplesPerRequest: 7 });
    const a = ref('a');
    const b = ref('b');
    sender.push([...samples(a, 10), ...samples(b, 5)]);
    sender.push(samples(a, 10, 10));
    const stats = await sender.stop();
    expect(stats).toMatchObject({ sent: 25, dropped: 0, rejected: 0, queued: 0 });
    expect(received(ep.requests, 'a')).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 1000));
    expect(received(ep.requests, 'b')).toEqual([1000, 2000, 3000, 4000, 5000]);
    for (const r of ep.requests) {
      expect(r.series.reduce((n, s) => n + s.samples.length, 0)).toBeLessThanOrEqual(7);
      // One TimeSeries per series within a request.
      expect(new Set(r.series.map((s) => s.labels[0]!.value)).size).toBe(r.series.length);
      expect(r.headers['content-type']).toBe('application/x-protobuf');
      expect(r.headers['content-encoding']).toBe('snappy');
      expect(r.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    }
  });

  it('retries a 5xx and a dropped connection with backoff, and delivers the batch once accepted', async () => {
    const ep = await endpoint((i, req, res) => {
      if (i === 0) res.writeHead(503).end('overloaded');
      else if (i === 1) req.socket.destroy();
      else res.writeHead(200).end();
    });
    const { lines, log } = logSink();
    const sender = new RemoteWriteSender({ url: ep.url, minBackoffMs: 5, maxBackoffMs: 20, log });
    sender.push(samples(ref('a'), 3));
    await until('the batch accepted', () => sender.stats().sent === 3);
    expect(sender.stats()).toMatchObject({ sent: 3, retries: 2, rejected: 0, queued: 0 });
    // The same batch each time, and nothing after it was accepted.
    expect(ep.requests.map((r) => r.series[0]!.samples.length)).toEqual([3, 3, 3]);
    expect(lines.filter((l) => l.includes('trying again'))).toHaveLength(2);
    expect(lines.some((l) => l.includes('503') && l.includes('overloaded'))).toBe(true);
    await sender.stop();
  });

  it('retries while nothing listens, then delivers once the endpoint is up', async () => {
    // A port that refuses connections, later the one the endpoint listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const sender = new RemoteWriteSender({ url: `http://127.0.0.1:${port}/api/v1/write`, minBackoffMs: 5, maxBackoffMs: 20 });
    sender.push(samples(ref('a'), 2));
    await until('two refused attempts', () => sender.stats().retries >= 2);
    const requests: number[] = [];
    const late = createServer((req, res) => {
      req.resume();
      req.on('end', () => (requests.push(1), res.writeHead(204).end()));
    });
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    servers.push({ close: () => late.close() });
    await until('the batch accepted', () => sender.stats().sent === 2);
    expect(requests).toHaveLength(1);
    await sender.stop();
  });

  it('does not retry a 4xx: logs the response body, counts the samples rejected, goes on with the next', async () => {
    const ep = await endpoint((i, _, res) => (i === 0 ? res.writeHead(400).end('out of order sample') : res.writeHead(204).end()));
    const { lines, log } = logSink();
    const sender = new RemoteWriteSender({ url: ep.url, maxSamplesPerRequest: 4, minBackoffMs: 5, log });
    sender.push(samples(ref('a'), 6));
    const stats = await sender.stop();
    expect(stats).toMatchObject({ rejected: 4, sent: 2, retries: 0, queued: 0 });
    expect(ep.requests).toHaveLength(2);
    expect(lines.some((l) => l.includes('HTTP 400') && l.includes('out of order sample') && l.includes('not sent again'))).toBe(true);
  });

  it('holds at most the queue size while the endpoint is down, dropping the oldest, counted and logged', async () => {
    let down = true;
    const ep = await endpoint((_, __, res) => (down ? res.writeHead(503).end() : res.writeHead(204).end()));
    const { lines, log } = logSink();
    const sender = new RemoteWriteSender({ url: ep.url, maxQueuedSamples: 50, maxSamplesPerRequest: 20, minBackoffMs: 5, maxBackoffMs: 10, log });
    const a = ref('a');
    for (let i = 0; i < 8; i++) {
      sender.push(samples(a, 20, i * 20));
      expect(sender.stats().queued).toBeLessThanOrEqual(50);
    }
    expect(sender.stats()).toMatchObject({ dropped: 110, queued: 50, sent: 0 });
    expect(lines.some((l) => l.includes('queue is full') && l.includes('dropped the oldest'))).toBe(true);
    await until('a few failed attempts', () => sender.stats().retries >= 2);
    down = false;
    await until('the queue sent', () => sender.stats().queued === 0);
    // What reached the endpoint once it was up is the newest 50, in order.
    const accepted = ep.requests.length - sender.stats().retries;
    expect(received(ep.requests.slice(-accepted), 'a')).toEqual(Array.from({ length: 50 }, (_, i) => (110 + i + 1) * 1000));
    expect(sender.stats()).toMatchObject({ sent: 50, dropped: 110 });
    expect(lines.some((l) => l.includes('takes samples again') && l.includes('110'))).toBe(true);
    await sender.stop();
  });

  it('push returns at once while a request hangs; stop gives up at its deadline and says what was left', async () => {
    const ep = await endpoint(() => undefined); // never answers
    const { lines, log } = logSink();
    const sender = new RemoteWriteSender({ url: ep.url, maxSamplesPerRequest: 5, log });
    sender.push(samples(ref('a'), 5));
    await until('the request in flight', () => ep.requests.length === 1);
    sender.push(samples(ref('a'), 5, 5));
    expect(sender.stats().queued).toBe(10);
    const stats = await sender.stop(200);
    expect(stats).toMatchObject({ sent: 0, queued: 10 });
    expect(lines.some((l) => l.includes('10 samples left unsent'))).toBe(true);
    // Stopped: takes nothing more.
    sender.push(samples(ref('a'), 1, 20));
    expect(sender.stats().queued).toBe(10);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new RemoteWriteSender({ url: 'ftp://example.org/write' })).toThrow(RemoteWriteUrlError);
    expect(() => new RemoteWriteSender({ url: 'not a url' })).toThrow(RemoteWriteUrlError);
  });
});
