/**
 * The inventory and counters over the API, against a simulated appliance on real UDP SNMP and a
 * real SQLite file: add (with every kind of bad body answered 400 naming the field), list
 * (credentials never shown), live identity and counters, 404 for unknown names, 504 for an
 * appliance that does not answer, history from the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { loadRules } from '../../src/rules/index.js';
import { bearer, startApi, type ApiHarness } from '../support/api.js';

const RULES = `services:
  - name: web
    listen: 127.0.0.1:18080
    backends:
      - { address: 192.0.2.10:80, weight: 3 }
      - { address: 192.0.2.11:80 }
`;

describe('appliances over the API', () => {
  let api: ApiHarness;
  let sim: SimulatedAppliance;
  let snmp: string;
  const admin = () => bearer(api.admin);

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'api-1',
      rules: loadRules(RULES, 'r.yaml'),
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
    });
    snmp = `snmp://${sim.readyInfo().snmp}`;
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
    await sim?.stop();
  });

  const add = (payload: unknown) => api.app.inject({ method: 'POST', url: '/api/v1/appliances', headers: admin(), payload: payload as object });

  it.each([
    [{ address: 'snmp://127.0.0.1:1', credentials: { community: 'x' } }, 'body.name: is required'],
    [{ name: 'a', credentials: { community: 'x' } }, 'body.address: is required'],
    [{ name: 'a', address: 'snmp://127.0.0.1:1', credentials: { community: 'x' }, colour: 'red' }, 'body.colour: is not a known field'],
    [{ name: 'a', address: 'snmp://127.0.0.1:1', credentials: { community: 42 } }, 'body.credentials.community: must be string'],
    [
      { name: 'a', address: 'snmp://127.0.0.1:1', credentials: { v3User: 'ops', v3Auth: 'short', v3Priv: 'long-enough' } },
      'body.credentials.v3Auth: must NOT have fewer than 8 characters',
    ],
    [{ name: 'a', address: 'snmp://127.0.0.1:1', credentials: { v3User: 'ops' } }, 'body.credentials: SNMPv3 needs v3User, v3Auth and v3Priv together'],
    [{ name: 'a', address: 'snmp://127.0.0.1:1', credentials: { community: 'x', v3User: 'ops', v3Auth: 'auth-pass', v3Priv: 'priv-pass' } }, 'not both'],
    [{ name: 'a', address: 'snmp://127.0.0.1:1' }, 'body.credentials: an SNMP appliance needs {community} or {v3User, v3Auth, v3Priv}'],
    [{ name: 'a', address: 'serial:/dev/ttyUSB0', credentials: { community: 'x' } }, 'only SNMP appliances take credentials'],
    [{ name: 'no spaces', address: 'serial:/dev/ttyUSB0' }, 'appliance name "no spaces" is not valid'],
    [{ name: 'a', address: 'http://example' }, 'target "http://example" is not valid'],
  ])('refuses %j with 400: %s', async (payload, message) => {
    const r = await add(payload);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('invalidRequest');
    expect(r.json().error.message).toContain(message);
    expect(await api.store.inventory.list()).toEqual([]);
  });

  it('refuses a body that is not JSON, saying where it broke', async () => {
    const r = await api.app.inject({
      method: 'POST',
      url: '/api/v1/appliances',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload: '{"name": "a",',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalidJson', message: expect.stringMatching(/^the body is not valid JSON: /) });
  });

  it('adds an appliance (201) and lists it without its secrets', async () => {
    const r = await add({ name: 'edge-1', address: snmp, credentials: { community: 'private' } });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ name: 'edge-1', address: snmp, credentials: 'v2c community', reachable: null });
    const v3 = await add({ name: 'edge-v3', address: 'snmp://127.0.0.1:9', credentials: { v3User: 'ops', v3Auth: 'auth-secret-1', v3Priv: 'priv-secret-1' } });
    expect(v3.statusCode).toBe(201);
    expect((await api.store.inventory.get('edge-v3'))?.credentials).toEqual({
      user: 'ops',
      authProtocol: 'sha',
      authKey: 'auth-secret-1',
      privProtocol: 'aes',
      privKey: 'priv-secret-1',
    });
    const list = await api.app.inject({ url: '/api/v1/appliances', headers: bearer(api.read) });
    expect(list.json().appliances.map((a: { name: string; credentials: string }) => [a.name, a.credentials])).toEqual([
      ['edge-1', 'v2c community'],
      ['edge-v3', 'v3 authPriv'],
    ]);
    expect(list.body).not.toContain('private');
    expect(list.body).not.toContain('secret');
    const dup = await add({ name: 'edge-1', address: snmp, credentials: { community: 'private' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toEqual({ code: 'duplicate', message: 'an appliance named "edge-1" already exists' });
  });

  it('reads identity live from the appliance', async () => {
    const r = await api.app.inject({ url: '/api/v1/appliances/edge-1', headers: bearer(api.read) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ name: 'edge-1', address: snmp, configId: sim.appliance.configId, firmware: '1.0.0', pendingConfirm: null });
    expect(r.body).not.toContain('private');
  });

  it('reads counters live, 64-bit counters as exact integers', async () => {
    const r = await api.app.inject({ url: '/api/v1/appliances/edge-1/counters', headers: bearer(api.read) });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.services.map((s: { name: string }) => s.name)).toEqual(['web']);
    expect(body.services[0].backends.map((b: { address: string; weight: number }) => [b.address, b.weight])).toEqual([
      ['192.0.2.10:80', 3],
      ['192.0.2.11:80', 1],
    ]);
    expect(typeof body.services[0].connsTotal).toBe('number');
  });

  it('answers 404 for an appliance not in the inventory, on every per-appliance route', async () => {
    for (const [method, url, payload] of [
      ['GET', '/api/v1/appliances/ghost', undefined],
      ['DELETE', '/api/v1/appliances/ghost', undefined],
      ['GET', '/api/v1/appliances/ghost/counters', undefined],
      ['GET', '/api/v1/appliances/ghost/counters/history', undefined],
      ['POST', '/api/v1/appliances/ghost/rules/plan', { services: [] }],
      ['POST', '/api/v1/appliances/ghost/rules/push', { rules: { services: [] } }],
      ['POST', '/api/v1/appliances/ghost/rules/confirm', undefined],
      ['POST', '/api/v1/appliances/ghost/rules/rollback', undefined],
    ] as const) {
      const r = await api.app.inject({ method, url, headers: admin(), ...(payload ? { payload } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(404);
      expect(r.json().error.code).toBe('notFound');
      expect(r.json().error.message).toContain('ghost');
    }
  });

  it('answers 504 with the reason when the appliance does not answer', async () => {
    const r = await api.app.inject({ url: '/api/v1/appliances/edge-v3', headers: bearer(api.read) });
    expect(r.statusCode).toBe(504);
    expect(r.json().error).toMatchObject({ code: 'applianceTimeout', message: expect.stringContaining('did not answer') });
  });

  it('serves history from the store, with bad queries named', async () => {
    const empty = await api.app.inject({ url: '/api/v1/appliances/edge-1/counters/history?since=5m', headers: bearer(api.read) });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ appliance: 'edge-1', resolution: 'raw', series: [] });
    const bad = await api.app.inject({ url: '/api/v1/appliances/edge-1/counters/history?since=10', headers: bearer(api.read) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('querystring.since: "10" has no unit; write "10ms" or "10s"');
    const both = await api.app.inject({ url: '/api/v1/appliances/edge-1/counters/history?since=5m&from=1', headers: bearer(api.read) });
    expect(both.json().error.message).toBe('querystring: give since or from, not both');
    const resolution = await api.app.inject({ url: '/api/v1/appliances/edge-1/counters/history?resolution=5m', headers: bearer(api.read) });
    expect(resolution.statusCode).toBe(400);
    expect(resolution.json().error.message).toMatch(/^querystring\.resolution: /);
    const unknown = await api.app.inject({ url: '/api/v1/appliances/edge-1/counters/history?colour=red', headers: bearer(api.read) });
    expect(unknown.json().error.message).toBe('querystring.colour: is not a known field');
  });

  it('removes an appliance and audits who did', async () => {
    const r = await api.app.inject({ method: 'DELETE', url: '/api/v1/appliances/edge-v3', headers: admin() });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ removed: 'edge-v3' });
    expect(await api.store.inventory.get('edge-v3')).toBeNull();
    const [last] = await api.store.audit.list({ limit: 1 });
    expect(last).toMatchObject({ action: 'DELETE /api/v1/appliances/:name', appliance: 'edge-v3', status: 200, outcome: 'ok', actor: { name: 'ops' } });
    const added = (await api.store.audit.list({ appliance: 'edge-1' })).find((e) => e.action === 'POST /api/v1/appliances' && e.outcome === 'ok');
    expect(added?.detail).toMatchObject({ address: snmp });
  });
});
