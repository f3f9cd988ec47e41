/**
 * The firmware catalog and rollouts over the API, against simulated appliances on their consoles
 * (real PTYs) and one managed over SNMP: images are added as raw bytes (bad ones refused with
 * the check that failed), fetched without a token by their SHA-256 (whole or from an offset),
 * and rolled out in the background by the server process with the real upgrade — to
 * `succeeded`, or `halted` on an appliance that does not trust the signer; the SNMP appliance
 * pulls its image from the agent's own image route. Pause, resume and abort steer a rollout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { sha256, toHex } from '../../src/protocol/digest.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import { bearer, eventually, startApi, type ApiHarness } from '../support/api.js';

const key = generateSigningKey();
const image = (version: string) =>
  buildImage({ version: parseVersion(version), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 48 * 1024 }) }, key);
const hashOf = (bytes: Uint8Array) => toHex(sha256(bytes));
const OCTETS = { 'content-type': 'application/octet-stream' };

interface Status {
  id: number;
  state: string;
  version: string;
  totals: Record<string, number>;
  waves: { wave: number; size: number; succeeded: number; failed: number }[];
  devices: { appliance: string; state: string; error: string | null; version: string | null; started: number | null; finished: number | null }[];
}

describe('firmware and rollouts over the API', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-api-fw-'));
  const home = process.env.FULCRUM_HOME;
  let api: ApiHarness;
  const sims = new Map<string, SimulatedAppliance>();
  const v2 = image('2.0.0');
  const admin = () => bearer(api.admin);
  const get = (url: string, headers: Record<string, string> = admin()) => api.app.inject({ url, headers });
  const post = (url: string, payload?: unknown, headers: Record<string, string> = admin()) =>
    api.app.inject({ method: 'POST', url, headers, ...(payload !== undefined ? { payload: payload as string } : {}) });
  const settled = (id: number, states: string[]) =>
    eventually(
      async () => {
        const s = (await get(`/api/v1/rollouts/${id}`)).json() as Status;
        return states.includes(s.state) && s.totals.upgrading === 0 ? s : undefined;
      },
      90_000,
      `rollout ${id} to end ${states.join(' or ')}`,
    );

  beforeAll(async () => {
    // The catalog lives under $FULCRUM_HOME/firmware, as for the CLI.
    process.env.FULCRUM_HOME = path.join(dir, 'home');
    for (const name of ['fw-1', 'fw-2', 'fw-untrusting']) {
      // fw-untrusting trusts only its factory key: it refuses every image signed with ours.
      const trustKeys = name === 'fw-untrusting' ? [] : [key.publicKey];
      sims.set(name, await SimulatedAppliance.start({ name, stateDir: path.join(dir, name), listen: false, trustKeys, serial: { baud: 921_600 } }));
    }
    const snmp = { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' };
    sims.set('fw-net', await SimulatedAppliance.start({ name: 'fw-net', stateDir: path.join(dir, 'fw-net'), listen: false, trustKeys: [key.publicKey], snmp }));
    // Listening: the SNMP appliance fetches its image from the API over real HTTP.
    api = await startApi({ listen: true });
    for (const [name, sim] of sims) {
      if (name === 'fw-net') await api.store.inventory.add({ name, target: `snmp://${sim.readyInfo().snmp}`, credentials: { community: 'private' } });
      else await api.store.inventory.add({ name, target: `serial:${sim.line!.path}?baud=921600` });
    }
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await Promise.all([...sims.values()].map((s) => s.stop()));
    if (home === undefined) delete process.env.FULCRUM_HOME;
    else process.env.FULCRUM_HOME = home;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('catalog', () => {
    it('lists nothing yet, and only with a token', async () => {
      expect((await get('/api/v1/firmware', {})).statusCode).toBe(401);
      const r = await get('/api/v1/firmware', bearer(api.read));
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ images: [] });
    });

    it('adds an image sent as raw bytes (admin only): 201, then 200 for the same bytes again', async () => {
      expect((await post('/api/v1/firmware', Buffer.from(v2), { ...OCTETS })).statusCode).toBe(401);
      const denied = await post('/api/v1/firmware', Buffer.from(v2), { ...OCTETS, ...bearer(api.read) });
      expect(denied.statusCode).toBe(403);
      const r = await post('/api/v1/firmware', Buffer.from(v2), { ...OCTETS, ...admin() });
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json()).toMatchObject({ sha256: hashOf(v2), version: '2.0.0', securityCounter: 1, size: v2.length });
      const again = await post('/api/v1/firmware', Buffer.from(v2), { ...OCTETS, ...admin() });
      expect(again.statusCode).toBe(200);
      expect(again.json().added).toBe(r.json().added);
      expect((await get('/api/v1/firmware', bearer(api.read))).json().images.map((i: { sha256: string }) => i.sha256)).toEqual([hashOf(v2)]);
      const [entry] = await api.store.audit.list({ limit: 1 });
      expect(entry).toMatchObject({ action: 'POST /api/v1/firmware', outcome: 'ok', detail: { sha256: hashOf(v2), version: '2.0.0' } });
    });

    it('refuses what is not one whole, intact image with the check that failed, and keeps nothing of it', async () => {
      const flipped = Uint8Array.from(v2);
      flipped[2_000]! ^= 0x10;
      const cases: [string, Uint8Array, string][] = [
        ['a flipped bit', flipped, 'badHash'],
        ['a truncated image', v2.subarray(0, 30_000), 'truncated'],
        ['bytes after the end', Buffer.concat([v2, Buffer.from('junk')]), 'badTrailer'],
        ['not an image at all', new TextEncoder().encode('hello firmware'), 'truncated'],
      ];
      for (const [what, bytes, code] of cases) {
        const r = await post('/api/v1/firmware', Buffer.from(bytes), { ...OCTETS, ...admin() });
        expect(r.statusCode, what).toBe(400);
        expect(r.json().error, what).toMatchObject({ code: 'invalidImage', details: { imageError: code } });
        expect(r.json().error.message, what).toContain(`[${code}]`);
      }
      const empty = await post('/api/v1/firmware', Buffer.alloc(0), { ...OCTETS, ...admin() });
      expect(empty.statusCode).toBe(400);
      const json = await post('/api/v1/firmware', { image: 'base64…' });
      expect(json.statusCode).toBe(415);
      expect((await get('/api/v1/firmware')).json().images).toHaveLength(1);
    });

    it("serves an image's entry to a token holder, 404 for one it does not hold, 400 for what is not a SHA-256", async () => {
      const r = await get(`/api/v1/firmware/${hashOf(v2)}`, bearer(api.read));
      expect(r.json()).toMatchObject({ sha256: hashOf(v2), version: '2.0.0' });
      expect((await get(`/api/v1/firmware/${hashOf(v2)}`, {})).statusCode).toBe(401);
      expect((await get(`/api/v1/firmware/${'0'.repeat(64)}`)).statusCode).toBe(404);
      expect((await get('/api/v1/firmware/ABC')).statusCode).toBe(400);
    });

    it('hands out the image bytes without a token (the SHA-256 is the capability), also from an offset', async () => {
      const r = await get(`/api/v1/firmware/${hashOf(v2)}/image`, {});
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers.etag).toBe(`"${hashOf(v2)}"`);
      expect(hashOf(r.rawPayload)).toBe(hashOf(v2));
      const tail = await get(`/api/v1/firmware/${hashOf(v2)}/image`, { range: 'bytes=40000-' });
      expect(tail.statusCode).toBe(206);
      expect(tail.headers['content-range']).toBe(`bytes 40000-${v2.length - 1}/${v2.length}`);
      expect(Buffer.compare(tail.rawPayload, Buffer.from(v2.subarray(40_000)))).toBe(0);
      const middle = await get(`/api/v1/firmware/${hashOf(v2)}/image`, { range: 'bytes=10-19' });
      expect(Buffer.compare(middle.rawPayload, Buffer.from(v2.subarray(10, 20)))).toBe(0);
      expect((await get(`/api/v1/firmware/${hashOf(v2)}/image`, { range: `bytes=${v2.length}-` })).statusCode).toBe(416);
      const unknown = await get(`/api/v1/firmware/${'1'.repeat(64)}/image`, {});
      expect(unknown.statusCode).toBe(404);
      // Where the agent keeps its files is nobody's business without a token.
      expect(unknown.json().error.message).not.toContain(dir);
      expect((await get('/api/v1/firmware/not-a-hash/image', {})).statusCode).toBe(400);
      // An appliance asks for the size first.
      const head = await api.app.inject({ method: 'HEAD', url: `/api/v1/firmware/${hashOf(v2)}/image` });
      expect(head.statusCode).toBe(200);
      expect(Number(head.headers['content-length'])).toBe(v2.length);
    });

    it('says in the OpenAPI document that fetching an image needs no token (the document itself is behind one)', async () => {
      const doc = (await get('/api/v1/openapi.json', bearer(api.read))).json();
      expect(doc.paths['/api/v1/firmware/{sha256}/image'].get.security).toEqual([]);
      expect(doc.paths['/api/v1/rollouts'].post).toBeDefined();
    });
  });

  describe('rollouts', () => {
    it('lists nothing yet, and only with a token; 404 for a rollout that does not exist, 400 for a bad id', async () => {
      expect((await get('/api/v1/rollouts', {})).statusCode).toBe(401);
      expect((await get('/api/v1/rollouts', bearer(api.read))).json()).toEqual({ rollouts: [] });
      const missing = await get('/api/v1/rollouts/42', bearer(api.read));
      expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'notFound']);
      expect((await get('/api/v1/rollouts/abc')).statusCode).toBe(400);
      expect((await post('/api/v1/rollouts/42/pause')).statusCode).toBe(404);
    });

    it('refuses a rollout that cannot run, naming what is wrong, and creates nothing', async () => {
      const image = hashOf(v2);
      expect((await post('/api/v1/rollouts', { image, targets: ['fw-1'] }, bearer(api.read))).statusCode).toBe(403);
      const cases: [unknown, number, RegExp][] = [
        [{ targets: ['fw-1'] }, 400, /^body\.image: is required/],
        [{ image, targets: ['fw-1', 'fw-9'] }, 400, /not in the inventory: fw-9/],
        [{ image: 'f'.repeat(64), targets: ['fw-1'] }, 400, /not in the firmware catalog/],
        [{ image, targets: ['fw-1'], waves: ['50%', '10%'] }, 400, /waves must increase/],
        [{ image, targets: ['fw-1'], maxFailures: 'many' }, 400, /max failures/],
        [{ image, targets: ['fw-1'], deadline: 'soon' }, 400, /^body\.deadline: /],
        [{ image, targets: ['fw-1', 'fw-1'] }, 400, /more than once/],
      ];
      for (const [body, status, message] of cases) {
        const r = await post('/api/v1/rollouts', body);
        expect(r.statusCode, JSON.stringify(body)).toBe(status);
        expect(r.json().error.message, JSON.stringify(body)).toMatch(message);
      }
      expect((await get('/api/v1/rollouts')).json().rollouts).toEqual([]);
    });

    it('runs a rollout in the background over two appliances to succeeded, the canary wave first', async () => {
      const r = await post('/api/v1/rollouts', { image: hashOf(v2), targets: ['fw-1', 'fw-2'], waves: [1, '100%'], deadline: '2m' });
      expect(r.statusCode, r.body).toBe(201);
      const created = r.json() as Status;
      expect(created).toMatchObject({ state: 'running', version: '2.0.0', totals: { devices: 2 } });
      expect(created.waves.map((w) => w.size)).toEqual([1, 1]);
      const done = await settled(created.id, ['succeeded', 'halted']);
      expect(done.state).toBe('succeeded');
      expect(done.devices.map((d) => [d.appliance, d.state, d.version])).toEqual([
        ['fw-1', 'succeeded', '2.0.0'],
        ['fw-2', 'succeeded', '2.0.0'],
      ]);
      // The second wave began only once the canary's upgrade was over.
      expect(done.devices[1]!.started!).toBeGreaterThanOrEqual(done.devices[0]!.finished!);
      for (const name of ['fw-1', 'fw-2']) expect(sims.get(name)!.appliance.identity.firmware, name).toBe('2.0.0');
      const listed = (await get('/api/v1/rollouts', bearer(api.read))).json().rollouts;
      expect(listed[0]).toMatchObject({ id: created.id, state: 'succeeded', totals: { succeeded: 2, failed: 0 }, failed: [] });
      expect(listed[0].devices).toBeUndefined();
      const events = (await get('/api/v1/events?appliance=fw-1', bearer(api.read))).json().events as { kind: string; detail: { event: string } }[];
      expect(events.filter((e) => e.kind === 'rollout').map((e) => e.detail.event)).toEqual(expect.arrayContaining(['upgrading', 'succeeded']));
      const [entry] = await api.store.audit.list({ limit: 1 });
      expect(entry).toMatchObject({ action: 'POST /api/v1/rollouts', outcome: 'ok', detail: { rollout: created.id, appliances: ['fw-1', 'fw-2'] } });
      // A finished rollout cannot be steered any more.
      for (const verb of ['pause', 'resume', 'abort']) {
        const c = await post(`/api/v1/rollouts/${created.id}/${verb}`);
        expect(c.statusCode, verb).toBe(409);
        expect(c.json().error.code, verb).toBe('rolloutState');
      }
    }, 120_000);

    it('halts on an appliance that refuses the image, and lists it with its error', async () => {
      const v3 = image('3.0.0');
      expect((await post('/api/v1/firmware', Buffer.from(v3), { ...OCTETS, ...admin() })).statusCode).toBe(201);
      const r = await post('/api/v1/rollouts', { image: hashOf(v3), targets: ['fw-untrusting', 'fw-1'], deadline: '2m' });
      expect(r.statusCode, r.body).toBe(201);
      const done = await settled(r.json().id, ['halted', 'succeeded']);
      expect(done.state).toBe('halted');
      const listed = (await get('/api/v1/rollouts')).json().rollouts[0];
      expect(listed).toMatchObject({ id: done.id, state: 'halted', totals: { failed: 1, pending: 1 } });
      expect(listed.failed).toEqual([{ appliance: 'fw-untrusting', wave: 1, error: expect.stringContaining('untrustedKey') }]);
      expect(sims.get('fw-1')!.appliance.identity.firmware).toBe('2.0.0');
      // Abort it, so its appliances may join another rollout.
      const aborted = await post(`/api/v1/rollouts/${done.id}/abort`);
      expect(aborted.statusCode).toBe(200);
      expect(aborted.json().state).toBe('aborted');
      expect((await post(`/api/v1/rollouts/${done.id}/resume`)).statusCode).toBe(409);
    }, 120_000);

    it('an appliance managed over SNMP pulls its image from the agent, without a token, and runs it', async () => {
      const r = await post('/api/v1/rollouts', { image: hashOf(v2), targets: ['fw-net'], deadline: '2m' });
      expect(r.statusCode, r.body).toBe(201);
      const done = await settled(r.json().id, ['succeeded', 'halted']);
      expect(done.devices[0]).toMatchObject({ appliance: 'fw-net', state: 'succeeded', version: '2.0.0' });
      expect(sims.get('fw-net')!.appliance.identity.firmware).toBe('2.0.0');
    }, 120_000);

    it('pause stops new upgrades (read tokens may not), resume carries on to the end', async () => {
      const v4 = image('4.0.0');
      expect((await post('/api/v1/firmware', Buffer.from(v4), { ...OCTETS, ...admin() })).statusCode).toBe(201);
      const created = (await post('/api/v1/rollouts', { image: hashOf(v4), targets: ['fw-1', 'fw-2'], waves: [1] })).json() as Status;
      expect((await post(`/api/v1/rollouts/${created.id}/pause`, undefined, bearer(api.read))).statusCode).toBe(403);
      const paused = await post(`/api/v1/rollouts/${created.id}/pause`);
      expect(paused.statusCode, paused.body).toBe(200);
      expect(paused.json().state).toBe('paused');
      // Whatever had started finishes; nothing else starts while paused.
      const still = await settled(created.id, ['paused']);
      expect(still.totals.succeeded).toBeLessThan(2);
      expect(sims.get('fw-2')!.appliance.identity.firmware).toBe('2.0.0');
      const resumed = await post(`/api/v1/rollouts/${created.id}/resume`);
      expect(resumed.statusCode, resumed.body).toBe(200);
      expect(resumed.json().state).toBe('running');
      const done = await settled(created.id, ['succeeded', 'halted']);
      expect(done.state).toBe('succeeded');
      for (const name of ['fw-1', 'fw-2']) expect(sims.get(name)!.appliance.identity.firmware, name).toBe('4.0.0');
    }, 120_000);
  });
});
