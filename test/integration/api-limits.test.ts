/**
 * The API's bounds on what one request may cost: hostile rule bodies (nesting, size), history
 * queries (ranges, points per answer), rule validation off the event loop, live streams (how
 * many, and how much a slow client may hold), and the headers every HTML answer carries.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, openStream, startApi, type ApiHarness } from '../support/api.js';

const deepJson = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** A valid table of `n` services in block YAML (~280 bytes each). */
function bigTable(n: number): string {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  - name: svc-${i}\n    listen: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:80\n    algorithm: weighted-round-robin\n    health: { type: http, path: /healthz, interval: 2s, timeout: 1s }\n    backends:\n      - { address: 192.168.${(i >> 8) & 255}.${i & 255}:8080, weight: 3 }\n      - { address: 192.169.${(i >> 8) & 255}.${i & 255}:8080, weight: 1, backup: true }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('hostile rule bodies', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const validate = (payload: string, type = 'application/json', token = api.read) =>
    api.app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers: { ...bearer(token), 'content-type': type }, payload });

  it('refuses a JSON body nested 5,000 deep with 400 tooDeep, twice, and goes on serving', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await validate(deepJson(5000));
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'tooDeep', message: expect.stringMatching(/^body:1:\d+ nested more than 64 levels deep/) });
    }
    expect((await api.app.inject({ url: '/api/v1/appliances', headers: bearer(api.read) })).statusCode).toBe(200);
  });

  it('refuses deep YAML the same way, with the position in the body', async () => {
    const r = await validate(`services:\n  - ${'['.repeat(3000)}`, 'text/yaml');
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('tooDeep');
    expect(r.json().error.details[0]).toMatchObject({ file: '<body>', line: 2, path: '(root)' });
  });

  it('guards every JSON body, not only rule tables', async () => {
    const r = await api.app.inject({
      method: 'POST',
      url: '/api/v1/appliances',
      headers: { ...bearer(api.admin), 'content-type': 'application/json' },
      payload: deepJson(100),
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('tooDeep');
  });

  it('refuses rule text over 4 MiB with 413 tooLarge, and bodies over the body limit before reading them', async () => {
    const text = `services: []\n${'# padding padding padding padding padding padding padding\n'.repeat(80_000)}`;
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    const r = await validate(text, 'text/yaml');
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatchObject({ code: 'tooLarge', message: expect.stringContaining('larger than 4 MiB') });
    const huge = await validate(`"${'x'.repeat(6 * 1024 * 1024)}"`);
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('tooLarge');
  });
});

describe('history queries', () => {
  let api: ApiHarness;
  const history = (query: string) => api.app.inject({ url: `/api/v1/appliances/edge-1/counters/history?${query}`, headers: bearer(api.read) });

  beforeAll(async () => {
    api = await startApi();
    await api.store.inventory.add({ name: 'edge-1', target: 'serial:/dev/ttyUSB9' });
    // 20 services × 3 counters: 60 series, one sample each.
    const keys = Array.from({ length: 20 }, (_, s) =>
      ['connsTotal', 'bytesIn', 'bytesOut'].map((counter) => ({ key: { appliance: 'edge-1', service: `svc-${s}`, counter }, kind: 'counter' as const })),
    ).flat();
    const ids = await api.store.metrics.seriesMany(keys);
    await api.store.metrics.write(ids.map((series) => ({ series, ts: Date.now() - 60_000, value: 5 })));
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each([
    ['since=876000h', /^querystring\.since: /],
    ['since=20000h&resolution=1h', /^querystring\.since: 20000h is longer than the 8760h history is kept/],
    ['from=0', /^querystring\.from: /],
    ['from=1', /^querystring\.from: /],
    ['since=999999999999h', /^querystring\.since: /],
  ])('answers %s with 400 naming the parameter, never 500', async (query, message) => {
    const r = await history(query);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalidRequest', message: expect.stringMatching(message) });
  });

  it('caps the points of one answer across all series, saying how to narrow the query', async () => {
    const r = await history('since=8000h&resolution=1h');
    expect(r.statusCode).toBe(400);
    const { error } = r.json();
    expect(error.code).toBe('tooManyPoints');
    expect(error.message).toMatch(/60 series × 8001 buckets at 1h/);
    expect(error.message).toMatch(/at most 200000/);
    expect(error.message).toMatch(/since=/);
    expect(error.message).not.toMatch(/resolution=/);
    expect(error.message).toMatch(/counter=/);
    expect(error.message).toMatch(/service=/);
    expect(error.details).toMatchObject({ points: 60 * 8001, maxPoints: 200_000, series: 60 });
  });

  it('suggests a coarser resolution when there is one', async () => {
    const r = await history('since=2000h&resolution=1m');
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/60 series × 120001 buckets at 1m.*resolution=1h/);
  });

  it('answers the same range once narrowed', async () => {
    const r = await history('since=8000h&resolution=1h&service=svc-3&counter=connsTotal');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().series).toHaveLength(1);
    const recent = await history('since=15m&level=service&counter=connsTotal,bytesIn,bytesOut');
    expect(recent.statusCode).toBe(200);
    expect(recent.json().series).toHaveLength(60);
  });
});

describe('rule validation off the event loop', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ listen: true });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers a small request while a big table is being validated', async () => {
    // About 1 MB: seconds of YAML parsing and checking.
    const body = bigTable(3_600);
    const order: string[] = [];
    const big = fetch(`${api.url}/api/v1/rules/validate`, { method: 'POST', headers: { ...bearer(api.read), 'content-type': 'text/yaml' }, body }).then(
      async (r) => {
        order.push('big');
        return { status: r.status, body: (await r.json()) as { services: number } };
      },
    );
    // Let the body arrive and the validation start.
    await new Promise((r) => setTimeout(r, 300));
    const small = await fetch(`${api.url}/api/v1/appliances`, { headers: bearer(api.read) });
    order.push('small');
    expect(small.status).toBe(200);
    const done = await big;
    expect(done.status).toBe(200);
    expect(done.body.services).toBe(3_600);
    expect(order).toEqual(['small', 'big']);
  });
});

describe('live streams', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ listen: true, maxStreams: 2, streamBufferBytes: 256 * 1024 });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('serves at most maxStreams at once: 429 beyond, room again when one closes', async () => {
    const a = await openStream(`${api.url}/api/v1/stream`, bearer(api.read));
    const b = await openStream(`${api.url}/api/v1/stream`, bearer(api.read));
    try {
      expect([a.status, b.status]).toEqual([200, 200]);
      const c = await fetch(`${api.url}/api/v1/stream`, { headers: bearer(api.read) });
      expect(c.status).toBe(429);
      expect(((await c.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'tooManyStreams',
        message: expect.stringContaining('2'),
      });
      a.close();
      await eventually(
        async () => {
          const d = await openStream(`${api.url}/api/v1/stream`, bearer(api.read));
          d.close();
          return d.status === 200;
        },
        5_000,
        'a free stream slot',
      );
    } finally {
      a.close();
      b.close();
    }
  });

  it('drops a client that does not read instead of buffering for it without end', async () => {
    const hub = api.app.fulcrum.hub;
    await eventually(() => hub.subscribers === 1, 5_000, 'earlier streams to be dropped');
    const port = new URL(api.url).port;
    // A client that sends its request and then never reads a byte.
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write(`GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.read}\r\n\r\n`);
    await eventually(() => hub.subscribers === 2, 5_000, 'the stream to open');
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    // Up to 64 MB: far past the socket buffers and the 256 KiB the server may hold per client.
    for (let i = 0; i < 1_000 && hub.subscribers === 2; i++) {
      hub.publish('event', { source: 'test', chunk });
      sent++;
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(() => hub.subscribers === 1, 5_000, 'the slow client to be dropped');
    expect(sent).toBeLessThan(1_000);
    socket.destroy();
  });
});

describe('security headers and the API description', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('sends CSP, frame, sniffing and referrer headers on the dashboard page', async () => {
    const r = await api.app.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });

  it('keeps the OpenAPI document and the docs page behind a token', async () => {
    for (const url of ['/api/v1/openapi.json', '/api/v1/docs', '/api/v1/docs/json']) {
      const r = await api.app.inject({ url });
      expect(r.statusCode, url).toBe(401);
      expect(r.json().error.code).toBe('unauthorized');
    }
    const doc = await api.app.inject({ url: '/api/v1/openapi.json', headers: bearer(api.read) });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toMatch(/^3\./);
    const page = await api.app.inject({ url: '/api/v1/docs/', headers: bearer(api.read) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'self'");
  });

  it('serves them without a token with publicDocs', async () => {
    const open = await startApi({ publicDocs: true });
    try {
      expect((await open.app.inject({ url: '/api/v1/openapi.json' })).statusCode).toBe(200);
      expect((await open.app.inject({ url: '/api/v1/docs/' })).statusCode).toBe(200);
      expect((await open.app.inject({ url: '/api/v1/appliances' })).statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });
});
