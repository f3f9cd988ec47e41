/**
 * The API's gate: bearer tokens (401 without or with a bad one), roles (403 for a read token on
 * a change), ?token= only on the stream, /metrics behind a token unless made public, the API
 * description behind a token too — and the audit log of every change asked, denied ones included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startApi, type ApiHarness } from '../support/api.js';

describe('API authentication and roles', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const routes: [string, string][] = [
    ['GET', '/api/v1/appliances'],
    ['POST', '/api/v1/appliances'],
    ['GET', '/api/v1/appliances/x'],
    ['DELETE', '/api/v1/appliances/x'],
    ['GET', '/api/v1/appliances/x/counters'],
    ['GET', '/api/v1/appliances/x/counters/history'],
    ['POST', '/api/v1/rules/validate'],
    ['POST', '/api/v1/appliances/x/rules/plan'],
    ['POST', '/api/v1/appliances/x/rules/push'],
    ['POST', '/api/v1/appliances/x/rules/confirm'],
    ['POST', '/api/v1/appliances/x/rules/rollback'],
    ['GET', '/api/v1/events'],
    ['GET', '/api/v1/audit'],
    ['GET', '/api/v1/stream'],
    ['GET', '/metrics'],
  ];

  it.each(routes)('%s %s without a token is 401 with a JSON error and a Bearer challenge', async (method, url) => {
    const r = await api.app.inject({ method: method as 'GET', url });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="fulcrum"');
    expect(r.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('fulcrum token create') } });
  });

  it.each(routes)('%s %s with an unknown token is 401', async (method, url) => {
    const r = await api.app.inject({ method: method as 'GET', url, headers: bearer('fulcrum_not-a-real-token-at-all-not-one-xxxxxxxxxxx') });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.message).toMatch(/not valid \(unknown or revoked\)/);
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const r = await api.app.inject({ url: '/api/v1/appliances', headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.message).toMatch(/must be "Bearer TOKEN"/);
  });

  it.each([
    ['POST', '/api/v1/appliances', { name: 'x', address: 'serial:/dev/null' }],
    ['DELETE', '/api/v1/appliances/x', undefined],
    ['POST', '/api/v1/appliances/x/rules/push', { rules: { services: [] } }],
    ['POST', '/api/v1/appliances/x/rules/confirm', undefined],
    ['POST', '/api/v1/appliances/x/rules/rollback', { steps: 1 }],
  ])('%s %s with a read token is 403 and changes nothing', async (method, url, payload) => {
    const r = await api.app.inject({ method: method as 'POST', url, headers: bearer(api.read), ...(payload ? { payload } : {}) });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('needs an admin token') } });
    expect(await api.store.inventory.list()).toEqual([]);
  });

  it('lets a read token look, and validate rules (which changes nothing)', async () => {
    expect((await api.app.inject({ url: '/api/v1/appliances', headers: bearer(api.read) })).statusCode).toBe(200);
    expect((await api.app.inject({ url: '/api/v1/events', headers: bearer(api.read) })).statusCode).toBe(200);
    const v = await api.app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers: bearer(api.read), payload: { services: [] } });
    expect(v.statusCode).toBe(200);
    expect((await api.app.inject({ url: '/metrics', headers: bearer(api.read) })).statusCode).toBe(200);
  });

  it('takes ?token= on the stream only', async () => {
    const list = await api.app.inject({ url: `/api/v1/appliances?token=${api.admin}` });
    expect(list.statusCode).toBe(401);
    const stream = await api.app.inject({ url: `/api/v1/stream?token=bad` });
    expect(stream.statusCode).toBe(401);
  });

  it('stops accepting a token as soon as it is revoked', async () => {
    const { token, record } = await api.store.tokens.create({ role: 'admin', name: 'temp' });
    expect((await api.app.inject({ url: '/api/v1/appliances', headers: bearer(token) })).statusCode).toBe(200);
    await api.store.tokens.revoke(String(record.id));
    expect((await api.app.inject({ url: '/api/v1/appliances', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('audits denied changes with who tried, and leaves reads and validation out', async () => {
    const denied = (await api.store.audit.list({ limit: 100 })).filter((e) => e.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(5);
    expect(denied.every((e) => e.status === 403 && e.actor.name === 'viewer')).toBe(true);
    expect(denied.map((e) => e.action)).toContain('DELETE /api/v1/appliances/:name');
    expect((await api.store.audit.list({ limit: 100 })).some((e) => e.action.includes('validate') || e.action.startsWith('GET'))).toBe(false);
    const r = await api.app.inject({ url: '/api/v1/audit?limit=2', headers: bearer(api.read) });
    expect(r.json().entries).toHaveLength(2);
  });

  it('serves the OpenAPI document and the docs page with a token (any role), not without', async () => {
    expect((await api.app.inject({ url: '/api/v1/openapi.json' })).statusCode).toBe(401);
    const doc = await api.app.inject({ url: '/api/v1/openapi.json', headers: bearer(api.read) });
    expect(doc.statusCode).toBe(200);
    const spec = doc.json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/appliances', '/api/v1/appliances/{name}/rules/push', '/api/v1/stream', '/api/v1/audit', '/metrics']),
    );
    expect(spec.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(spec.components.schemas.Error).toBeDefined();
    const docs = await api.app.inject({ url: '/api/v1/docs/', headers: bearer(api.read) });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('Swagger UI');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await api.app.inject({ url: '/api/v1/nothing-here', headers: bearer(api.admin) });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: { code: 'notFound', message: 'no such route: GET /api/v1/nothing-here' } });
    expect((await api.app.inject({ url: '/no/such/page' })).json().error.code).toBe('notFound');
  });
});

describe('/metrics made public', () => {
  it('needs no token with metricsPublic, while the API still does', async () => {
    const api = await startApi({ metricsPublic: true });
    try {
      const m = await api.app.inject({ url: '/metrics' });
      expect(m.statusCode).toBe(200);
      expect(m.body).toContain('process_cpu_user_seconds_total');
      expect((await api.app.inject({ url: '/api/v1/appliances' })).statusCode).toBe(401);
    } finally {
      await api.close();
    }
  });
});
