/**
 * Fleet pushes against four simulated appliances in an inventory — three over SNMP v2c, one (the
 * first by name, so the canary of `--all`) over its console, a real PTY — with health checks
 * probing real HTTP backends: `fulcrum rules push
 * --all | --targets` and `POST /api/v1/rules/push`. A good table reaches every appliance with
 * the canary confirmed before anyone else is touched; a table that takes a backend down on the
 * canary, or whose listen address is taken on one appliance, stops the run and puts every
 * appliance back on the config it ran before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { configId } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import type { FleetPushReport } from '../../src/provision/fleet-push.js';
import { openStore } from '../../src/store/index.js';
import { bearer, eventually, startApi, type ApiHarness } from '../support/api.js';
import { fulcrumAsync } from '../support/cli.js';

const NAMES = ['edge-1', 'edge-2', 'edge-3', 'edge-4'] as const;
const SNMP = { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' };

describe('fleet push', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-fleet-push-'));
  const db = path.join(dir, 'fulcrum.db');
  const env = { FULCRUM_HOME: path.join(dir, 'home') };
  // The key sealing the inventory's secrets: the one the CLI finds under its FULCRUM_HOME.
  const keyFile = path.join(env.FULCRUM_HOME, 'secret.key');
  let backends: HttpBackend[];
  let blocker: Server;
  let vip: number;
  let taken: number;
  const sims = new Map<string, SimulatedAppliance>();
  /** What the appliances themselves report, in the order it happened. */
  const log: { appliance: string; type: string; configId: string }[] = [];

  const TCP_CHECK = '{ type: tcp, interval: 200ms, timeout: 100ms, rise: 1, fall: 2 }';
  // The backends answer 200: a check that wants a 5xx takes them down at its first probe.
  // (SNMP's candidate rows carry no health checks: only the console can change them.)
  const BREAKS_BACKENDS = '{ type: http, path: /, expect: 5xx, interval: 100ms, timeout: 80ms, rise: 1, fall: 1 }';
  /** A rule table over the two real backends. */
  const rules = (options: { weight: number; health?: string; listen?: number }) =>
    `services:\n  - name: web\n    listen: 127.0.0.1:${options.listen ?? vip}\n    health: ${options.health ?? TCP_CHECK}\n` +
    `    backends:\n${backends.map((b) => `      - { address: ${b.address}, weight: ${options.weight} }`).join('\n')}\n`;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const idOf = (text: string) => configId(loadRules(text, 'x.yaml'));
  const running = () => NAMES.map((n) => sims.get(n)!.appliance.configId);
  const push = (args: string[]) => fulcrumAsync(['rules', 'push', ...args, '--db', db], env);
  const backendsUp = () =>
    eventually(
      () => [...sims.values()].every((s) => s.appliance.counters().services.every((svc) => svc.backends.every((b) => b.state === 'up'))),
      10_000,
      'every backend up',
    );

  beforeAll(async () => {
    backends = await startHttpBackends(2);
    vip = await freePort();
    taken = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    const seed = loadRules(rules({ weight: 1 }), 'seed.yaml');
    const store = await openStore({ file: db, keyFile });
    try {
      for (const name of NAMES) {
        // edge-1 is reached over its console, edge-4 opens real listeners (the others manage only).
        const sim = await SimulatedAppliance.start({
          name,
          rules: seed,
          listen: name === 'edge-4',
          snmp: SNMP,
          ...(name === 'edge-1' ? { serial: { baud: 921_600 } } : {}),
        });
        sims.set(name, sim);
        sim.onEvent((e) => {
          if (e.type === 'commit' || e.type === 'confirm' || e.type === 'rollback') log.push({ appliance: name, type: e.type, configId: e.configId });
        });
        const target = name === 'edge-1' ? `serial:${sim.line!.path}?baud=921600` : `snmp://${sim.readyInfo().snmp}`;
        await store.inventory.add({ name, target, credentials: name === 'edge-1' ? {} : { community: 'private' } });
      }
    } finally {
      await store.close();
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await new Promise((r) => blocker?.close(r));
    await Promise.all((backends ?? []).map((b) => b.kill()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('fulcrum rules push', () => {
    it('takes exactly one of --to, --all and --targets, and fleet options only with a fleet', async () => {
      const table = file('any.yaml', rules({ weight: 9 }));
      const before = running();
      for (const args of [
        [table],
        [table, '--all', '--to', 'edge-1'],
        [table, '--all', '--targets', 'edge-1'],
        [table, '--to', 'edge-1', '--canary', '2'],
        [table, '--all', '--replace-pending'],
        [table, '--all', '--force'],
      ]) {
        const r = await push(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      }
      const noTimeout = await push([table, '--all', '--confirm-timeout', '0s']);
      expect(noTimeout.code).toBe(2);
      expect(noTimeout.stderr).toContain('always a commit confirmed');
      const shortTimeout = await push([table, '--all', '--settle', '30s', '--confirm-timeout', '20s']);
      expect(shortTimeout.code).toBe(2);
      expect(shortTimeout.stderr).toMatch(/^--confirm-timeout: .* at least 40 s/);
      expect(running()).toEqual(before);
    });

    it('names every appliance that is not in the inventory (exit 3) and changes nothing', async () => {
      const before = running();
      const r = await push([file('any.yaml', rules({ weight: 9 })), '--targets', 'edge-1,edge-9,core-1']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('not in the inventory: edge-9, core-1');
      expect(running()).toEqual(before);
    });

    it('a table that removes every service the appliances run: refused before anything is sent (exit 3), with the plan', async () => {
      const before = running();
      const from = log.length;
      const renamed = rules({ weight: 9 }).replace('name: web', 'name: www');
      const r = await push([file('renamed.yaml', renamed), '--all', '--settle', '1s']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toContain('edge-1 (canary)');
      expect(r.stdout.match(/removes every service \(1 of 1\)/g)).toHaveLength(4);
      expect(r.stderr).toMatch(/^fleet push refused: the plan removes most services on edge-1, edge-2, edge-3, edge-4 .*--allow-destructive/);
      expect(running()).toEqual(before);
      expect(log.slice(from)).toEqual([]);
    });

    it('--dry-run plans everywhere and sends nothing', async () => {
      const before = running();
      const from = log.length;
      const r = await push([file('dry.yaml', rules({ weight: 9 })), '--all', '--dry-run']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('4 appliances to change');
      expect(r.stdout).toContain('dry run: nothing was sent');
      expect(running()).toEqual(before);
      expect(log.slice(from)).toEqual([]);
    });

    it('a good table: planned everywhere, the canary confirmed before any other appliance is pushed, all confirmed', async () => {
      const seedId = running()[0]!;
      const text = rules({ weight: 2 });
      const from = log.length;
      const r = await push([file('good.yaml', text), '--all', '--settle', '1s', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as FleetPushReport;
      expect(report).toMatchObject({ ok: true, configId: idOf(text), canary: ['edge-1'], rolledBack: [], failure: null });
      expect(report.results).toEqual(NAMES.map((name) => ({ name, before: seedId, after: idOf(text), result: 'changed' })));
      for (const name of NAMES) {
        const sim = sims.get(name)!;
        expect(sim.appliance.configId, name).toBe(idOf(text));
        expect(sim.appliance.configManager.startup.id, `${name} confirmed`).toBe(idOf(text));
      }
      const events = log.slice(from);
      const canaryConfirmed = events.findIndex((e) => e.appliance === 'edge-1' && e.type === 'confirm');
      const firstOtherCommit = events.findIndex((e) => e.appliance !== 'edge-1' && e.type === 'commit');
      expect(canaryConfirmed).toBeGreaterThanOrEqual(0);
      expect(firstOtherCommit).toBeGreaterThan(canaryConfirmed);
      expect(events.filter((e) => e.type === 'commit')).toHaveLength(4);
      expect(events.filter((e) => e.type === 'confirm')).toHaveLength(4);
    }, 60_000);

    it('pushes nothing to appliances that already run the table, and says they were skipped', async () => {
      await backendsUp();
      const from = log.length;
      const r = await push([file('good.yaml', rules({ weight: 2 })), '--all', '--settle', '1s']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('0 appliances to change, 4 already up to date (skipped)');
      expect(r.stdout.match(/unchanged/g)).toHaveLength(4);
      expect(log.slice(from)).toEqual([]);
    });

    it('a table that takes a backend down on the canary: the canary fails and is rolled back, nobody else is touched (exit 1)', async () => {
      const goodId = running()[0]!;
      const text = rules({ weight: 3, health: BREAKS_BACKENDS });
      const from = log.length;
      const r = await push([file('breaks.yaml', text), '--all', '--settle', '1s', '--json']);
      expect(r.code).toBe(1);
      // With --json the error is JSON on stderr too.
      expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'failure', exit: 1 });
      expect(JSON.parse(r.stderr).error.message).toMatch(/^fleet push failed on edge-1: backend 127\.0\.0\.1:\d+ of service web went down/);
      const report = JSON.parse(r.stdout) as FleetPushReport;
      expect(report).toMatchObject({ ok: false, canary: ['edge-1'], rolledBack: ['edge-1'], failure: { appliance: 'edge-1' } });
      expect(report.results[0]).toMatchObject({ name: 'edge-1', before: goodId, after: goodId, result: 'failed', error: expect.stringContaining('went down') });
      expect(report.results.slice(1).map((x) => x.result)).toEqual(['not pushed', 'not pushed', 'not pushed']);
      expect(running()).toEqual(NAMES.map(() => goodId));
      expect(sims.get('edge-1')!.appliance.configManager.startup.id).toBe(goodId);
      expect(log.slice(from).map((e) => `${e.appliance} ${e.type}`)).toEqual(['edge-1 commit', 'edge-1 rollback']);
    }, 60_000);
  });

  describe('POST /api/v1/rules/push', () => {
    let api: ApiHarness;
    const post = (payload: unknown, token?: string) =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/rules/push',
        headers: token === undefined ? bearer(api.admin) : token === '' ? {} : bearer(token),
        payload: payload as object,
      });

    /** GET /rules/pushes/ID with the read token. */
    const status = async (id: number) => {
      const r = await api.app.inject({ url: `/api/v1/rules/pushes/${id}`, headers: bearer(api.read) });
      expect(r.statusCode, r.body).toBe(200);
      return r.json();
    };

    beforeAll(async () => {
      await backendsUp();
      api = await startApi();
      const store = await openStore({ file: db, keyFile });
      try {
        for (const r of await store.inventory.list()) await api.store.inventory.add({ name: r.name, target: r.target, credentials: r.credentials });
      } finally {
        await store.close();
      }
    });
    afterAll(async () => api?.close());

    it('needs an admin token, and refuses a bad request before touching any appliance', async () => {
      const before = running();
      const body = { rules: rules({ weight: 8 }), settle: '1s' };
      expect((await post(body, '')).statusCode).toBe(401);
      expect((await post(body, api.read)).statusCode).toBe(403);
      const zero = await post({ ...body, canary: 0 });
      expect([zero.statusCode, zero.json().error.message]).toEqual([400, 'body.canary: must be >= 1']);
      const short = await post({ ...body, confirmTimeout: '5s' });
      expect(short.statusCode).toBe(400);
      expect(short.json().error.message).toMatch(/^body\.confirmTimeout: .*too short/);
      const unknown = await post({ ...body, targets: ['edge-1', 'edge-7'] });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error).toMatchObject({ code: 'unknownAppliances', details: { appliances: ['edge-7'] } });
      const invalid = await post({ rules: { services: [{ name: 'web', listen: 'nowhere', backends: [] }] } });
      expect(invalid.statusCode).toBe(422);
      expect(running()).toEqual(before);
      // Refused requests are not pushes: none is recorded.
      expect((await api.app.inject({ url: '/api/v1/rules/pushes', headers: bearer(api.read) })).json()).toEqual({ pushes: [] });
      const missing = await api.app.inject({ url: '/api/v1/rules/pushes/999', headers: bearer(api.read) });
      expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'notFound']);
      expect((await api.app.inject({ url: '/api/v1/rules/pushes/0', headers: bearer(api.read) })).statusCode).toBe(400);
    });

    it('shows the push routes in the OpenAPI document', async () => {
      const doc = (await api.app.inject({ url: '/api/v1/openapi.json', headers: bearer(api.read) })).json();
      expect(doc.paths['/api/v1/rules/pushes'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['limit']);
      expect(doc.paths['/api/v1/rules/pushes/{id}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['id']);
      const answer = doc.paths['/api/v1/rules/push'].post.responses['200'].content['application/json'].schema;
      expect(answer.required).toContain('fleetPush');
    });

    it('a table that removes every service: 409 destructivePlan before anything is sent', async () => {
      const before = running();
      const from = log.length;
      const r = await post({ rules: rules({ weight: 8 }).replace('name: web', 'name: www'), settle: '1s' });
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().error).toMatchObject({ code: 'destructivePlan', details: { ok: false, failure: { code: 'destructivePlan' } } });
      expect(r.json().error.message).toMatch(/allowDestructive: true/);
      const push = await status(r.json().error.details.fleetPush);
      expect(push).toMatchObject({ state: 'refused', failure: { code: 'destructivePlan' }, runner: null });
      expect(running()).toEqual(before);
      expect(log.slice(from)).toEqual([]);
    });

    it('pushes to the fleet (the canary first), records each step as an event and the whole in the audit log', async () => {
      const before = running()[0]!;
      const text = rules({ weight: 4 });
      const r = await post({ rules: text, targets: ['edge-3', 'edge-1', 'edge-2', 'edge-4'], settle: '1s', confirmTimeout: '2m' });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ ok: true, canary: ['edge-3'], configId: idOf(text), fleetPush: expect.any(Number) });
      expect(running()).toEqual(NAMES.map(() => idOf(text)));
      // Recorded as it went, readable with a read token: the order given, the canary, every target confirmed.
      const id = r.json().fleetPush as number;
      const push = await status(id);
      expect(push).toMatchObject({
        id,
        state: 'succeeded',
        configId: idOf(text),
        canary: 1,
        settleMs: 1000,
        confirmTimeoutMs: 120_000,
        actor: 'ops',
        runner: null,
        adoptions: [],
      });
      expect(push.targets.map((t: { appliance: string; canary: boolean; state: string; after: string }) => [t.appliance, t.canary, t.state, t.after])).toEqual(
        ['edge-3', 'edge-1', 'edge-2', 'edge-4'].map((name) => [name, name === 'edge-3', 'confirmed', idOf(text)]),
      );
      const list = (await api.app.inject({ url: '/api/v1/rules/pushes?limit=5', headers: bearer(api.read) })).json();
      expect(list.pushes[0]).toMatchObject({ id, state: 'succeeded', counts: { confirmed: 4, pushing: 0 } });
      expect(list.pushes[0].targets).toBeUndefined();
      const events = (await api.app.inject({ url: '/api/v1/events?limit=100', headers: bearer(api.read) })).json().events as {
        id: number;
        appliance: string;
        kind: string;
        detail: { fleetPush?: boolean };
      }[];
      const ours = events.filter((e) => e.detail.fleetPush).sort((a, b) => a.id - b.id);
      const canaryConfirm = ours.find((e) => e.appliance === 'edge-3' && e.kind === 'confirm')!;
      expect(canaryConfirm).toBeDefined();
      expect(ours.filter((e) => e.kind === 'commit' && e.appliance !== 'edge-3').every((e) => e.id > canaryConfirm.id)).toBe(true);
      const [entry] = await api.store.audit.list({ limit: 1 });
      expect(entry).toMatchObject({ action: 'POST /api/v1/rules/push', outcome: 'ok', configAfter: idOf(text), detail: { fleetPush: id } });
      expect((entry!.detail as { appliances: unknown[] }).appliances).toEqual(
        ['edge-3', 'edge-1', 'edge-2', 'edge-4'].map((name) => ({ name, before, after: idOf(text), result: 'changed' })),
      );
    }, 60_000);

    it('a listen address taken on one appliance: its push is refused, and every appliance changed — the confirmed canary too — goes back', async () => {
      await backendsUp();
      const previous = running()[0]!;
      const text = rules({ weight: 5, listen: taken });
      const r = await post({ rules: text, targets: ['edge-1', 'edge-2', 'edge-3', 'edge-4'], settle: '1s' });
      expect(r.statusCode, r.body).toBe(409);
      const { error } = r.json();
      expect(error.code).toBe('fleetPushFailed');
      expect(error.message).toMatch(/^fleet push failed on edge-4: /);
      const report = error.details as FleetPushReport & { fleetPush: number };
      expect(report.results.find((x) => x.name === 'edge-1')).toMatchObject({ result: 'rolled back', before: previous, after: previous });
      expect(report.results.find((x) => x.name === 'edge-4')).toMatchObject({ result: 'failed', before: previous, after: previous });
      for (const x of report.results.filter((x) => x.name === 'edge-2' || x.name === 'edge-3')) expect(['rolled back', 'not pushed']).toContain(x.result);
      expect(report.rolledBack).toContain('edge-1');
      const push = await status(report.fleetPush);
      expect(push).toMatchObject({ state: 'failed', failure: { appliance: 'edge-4' }, runner: null });
      expect(push.targets.find((t: { appliance: string }) => t.appliance === 'edge-1')).toMatchObject({ state: 'rolled back', after: previous });
      expect(running()).toEqual(NAMES.map(() => previous));
      for (const name of NAMES) expect(sims.get(name)!.appliance.configManager.startup.id, name).toBe(previous);
      const [entry] = await api.store.audit.list({ limit: 1 });
      expect(entry).toMatchObject({ action: 'POST /api/v1/rules/push', outcome: 'failed', status: 409, configAfter: null });
      expect((entry!.detail as { appliances: { name: string; after: string }[] }).appliances.every((a) => a.after === previous)).toBe(true);
    }, 60_000);
  });
});
