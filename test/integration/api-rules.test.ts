/**
 * Rule tables over the API against a simulated appliance on real UDP SNMP: validation with the
 * CLI's line/column errors, plan, push (the appliance then runs the pushed config id), commit
 * confirmed and confirm, rollback — each audited with the config ids before and after, and kept
 * in the event log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { configId } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { parse as parseYaml } from 'yaml';
import { bearer, eventually, startApi, type ApiHarness } from '../support/api.js';

const yaml = (weight: number, extra = '') => `services:
  - name: web
    listen: 127.0.0.1:18081
    backends:
      - { address: 192.0.2.10:80, weight: ${weight} }
      - { address: 192.0.2.11:80 }
${extra}`;

describe('rule tables over the API', () => {
  let api: ApiHarness;
  let sim: SimulatedAppliance;
  const admin = () => bearer(api.admin);
  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'POST', url, headers: { ...admin(), ...headers }, ...(payload !== undefined ? { payload: payload as string } : {}) });

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'rules-1',
      rules: loadRules(yaml(1), 'seed.yaml'),
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
    });
    api = await startApi();
    await api.store.inventory.add({ name: 'edge-1', target: `snmp://${sim.readyInfo().snmp}`, credentials: { community: 'private' } });
  });
  afterAll(async () => {
    await api?.close();
    await sim?.stop();
  });

  describe('validate', () => {
    it('accepts YAML and answers with the config id and the canonical table', async () => {
      const r = await post('/api/v1/rules/validate', yaml(5), { 'content-type': 'text/yaml' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ valid: true, configId: configId(loadRules(yaml(5), 'x')), services: 1, backends: 2 });
      expect(r.json().rules.services[0].algorithm).toBe('round-robin');
    });

    it('reports YAML errors with line, column and path, all at once, as the CLI does', async () => {
      const bad = `services:\n  - name: web\n    listen: 127.0.0.1:18081\n    backends:\n      - { address: 192.0.2.10:80, weight: 70000 }\n  - name: web2\n    listen: 127.0.0.1:18081\n    backends: []\n`;
      const r = await post('/api/v1/rules/validate', bad, { 'content-type': 'application/yaml' });
      expect(r.statusCode).toBe(422);
      const { error } = r.json();
      expect(error.code).toBe('invalidRules');
      // In file order: the shared listen address is reported at both services (lines 3 and 7).
      expect(error.message.split('\n')[1]).toBe('<body>:5:43 services[0].backends[0].weight: must be an integer 0..65535');
      expect(error.details.length).toBeGreaterThanOrEqual(3);
      expect(error.details[1]).toEqual({ file: '<body>', line: 5, column: 43, path: 'services[0].backends[0].weight', message: 'must be an integer 0..65535' });
      expect(error.details.some((d: { line: number; path: string }) => d.line === 3 && d.path === 'services[0].listen')).toBe(true);
      expect(error.details.some((d: { line: number; path: string }) => d.line === 7 && d.path === 'services[1].listen')).toBe(true);
    });

    it('points into a JSON body by line and column too', async () => {
      const body = '{\n  "services": [\n    { "name": "web", "listen": "nowhere", "backends": [] }\n  ]\n}';
      const r = await post('/api/v1/rules/validate', body, { 'content-type': 'application/json' });
      expect(r.statusCode).toBe(422);
      expect(r.json().error.details[0]).toMatchObject({ line: 3, path: 'services[0].listen' });
    });

    it('says a YAML syntax error is one', async () => {
      const r = await post('/api/v1/rules/validate', 'services: [\n', { 'content-type': 'text/yaml' });
      expect(r.statusCode).toBe(422);
      expect(r.json().error.message).toMatch(/^<body>:\d+:\d+ /);
    });

    it('refuses a content type it does not read', async () => {
      const r = await post('/api/v1/rules/validate', 'services: []', { 'content-type': 'application/xml' });
      expect(r.statusCode).toBe(415);
      expect(r.json().error.code).toBe('unsupportedMediaType');
    });
  });

  describe('push, confirm, rollback', () => {
    it('refuses a push whose body is wrong, naming the field, and sends nothing', async () => {
      const running = sim.appliance.configId;
      const noRules = await post('/api/v1/appliances/edge-1/rules/push', { confirmTimeout: '5m' });
      expect(noRules.statusCode).toBe(400);
      expect(noRules.json().error.message).toBe('body.rules: is required');
      const badTimeout = await post('/api/v1/appliances/edge-1/rules/push', { rules: yaml(2), confirmTimeout: '5 minutes' });
      expect(badTimeout.statusCode).toBe(400);
      expect(badTimeout.json().error.message).toMatch(/^body\.confirmTimeout: /);
      const badRules = await post('/api/v1/appliances/edge-1/rules/push', {
        rules: { services: [{ name: 'web', listen: '127.0.0.1:1', backends: [{ address: 'x' }] }] },
      });
      expect(badRules.statusCode).toBe(422);
      expect(badRules.json().error.message).toMatch(/^rules\.services\[0\]\.backends\[0\]\.address: /);
      expect(sim.appliance.configId).toBe(running);
    });

    it('pushes a table: the appliance runs its config id, and the audit log has before and after', async () => {
      const before = sim.appliance.configId;
      const next = loadRules(yaml(7), 'next.yaml');
      const r = await post('/api/v1/appliances/edge-1/rules/push', { rules: yaml(7) });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ configId: configId(next), previousConfigId: before, mode: 'full', confirmBy: null });
      expect(sim.appliance.configId).toBe(configId(next));
      const [entry] = await api.store.audit.list({ appliance: 'edge-1', limit: 1 });
      expect(entry).toMatchObject({
        action: 'POST /api/v1/appliances/:name/rules/push',
        actor: { name: 'ops' },
        status: 200,
        outcome: 'ok',
        configBefore: before,
        configAfter: configId(next),
      });
      const events = await api.app.inject({ url: '/api/v1/events?appliance=edge-1', headers: bearer(api.read) });
      expect(events.json().events[0]).toMatchObject({ appliance: 'edge-1', kind: 'commit', detail: { before, after: configId(next), by: 'ops' } });
    });

    it('plans against the running table it pushed (from its config cache)', async () => {
      const r = await post('/api/v1/appliances/edge-1/rules/plan', yaml(9), { 'content-type': 'text/yaml' });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ runningConfigId: sim.appliance.configId, configId: configId(loadRules(yaml(9), 'x')), empty: false });
      expect(r.json().plan.changed[0].changes).toEqual([{ path: 'backends[192.0.2.10:80].weight', from: 7, to: 9 }]);
      const same = await post('/api/v1/appliances/edge-1/rules/plan', parseYaml(yaml(7)));
      expect(same.json().empty).toBe(true);
    });

    it('commit confirmed: pending until confirmed, then kept; audited both times', async () => {
      const table = loadRules(yaml(11), 'c.yaml');
      const r = await post('/api/v1/appliances/edge-1/rules/push', { rules: parseYaml(yaml(11)), confirmTimeout: '5m' });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().confirmBy).toBeGreaterThan(Date.now());
      const info = await api.app.inject({ url: '/api/v1/appliances/edge-1', headers: bearer(api.read) });
      expect(info.json().pendingConfirm).toBeGreaterThan(0);
      const c = await post('/api/v1/appliances/edge-1/rules/confirm');
      expect(c.statusCode, c.body).toBe(200);
      expect(c.json()).toEqual({ configId: configId(table) });
      expect(sim.appliance.configManager.startup.id).toBe(configId(table));
      const again = await post('/api/v1/appliances/edge-1/rules/confirm');
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toMatchObject({ code: 'applianceRefused', details: { remote: 'nothingToConfirm' } });
      const [failed] = await api.store.audit.list({ appliance: 'edge-1', limit: 1 });
      expect(failed).toMatchObject({ action: 'POST /api/v1/appliances/:name/rules/confirm', outcome: 'failed', status: 409 });
    });

    it('rolls back, defaulting to one step, with before and after in the audit log', async () => {
      const current = sim.appliance.configId;
      const previous = sim.appliance.configManager.history[0]!.id;
      const r = await post('/api/v1/appliances/edge-1/rules/rollback');
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toEqual({ configId: previous, previousConfigId: current, steps: 1 });
      expect(sim.appliance.configId).toBe(previous);
      const [entry] = await api.store.audit.list({ appliance: 'edge-1', limit: 1 });
      expect(entry).toMatchObject({
        action: 'POST /api/v1/appliances/:name/rules/rollback',
        outcome: 'ok',
        configBefore: current,
        configAfter: previous,
        detail: { steps: 1 },
      });
      const tooFar = await post('/api/v1/appliances/edge-1/rules/rollback', { steps: 0 });
      expect(tooFar.statusCode).toBe(400);
      expect(tooFar.json().error.message).toBe('body.steps: must be >= 1');
    });

    it('plans over SNMP against a table the agent never saw (read back from fulcrumRunning); a read-only community cannot push', async () => {
      const other = await SimulatedAppliance.start({
        name: 'rules-2',
        rules: loadRules(yaml(3), 'o.yaml'),
        listen: false,
        snmp: { host: '127.0.0.1', port: 0, community: 'public' },
      });
      try {
        await api.store.inventory.add({ name: 'edge-2', target: `snmp://${other.readyInfo().snmp}`, credentials: { community: 'public' } });
        const r = await post('/api/v1/appliances/edge-2/rules/plan', yaml(4), { 'content-type': 'text/yaml' });
        expect(r.statusCode, r.body).toBe(200);
        expect(r.json()).toMatchObject({
          runningConfigId: configId(loadRules(yaml(3), 'o.yaml')),
          configId: configId(loadRules(yaml(4), 'o.yaml')),
          empty: false,
        });
        expect(r.json().plan.changed.map((c: { name: string }) => c.name)).toEqual(['web']);
        const push = await post('/api/v1/appliances/edge-2/rules/push', { rules: yaml(4) });
        expect(push.statusCode).toBe(409);
        expect(push.json().error.message).toMatch(/may not write/);
        expect(other.appliance.configId).toBe(configId(loadRules(yaml(3), 'o.yaml')));
      } finally {
        await other.stop();
      }
    });
  });

  describe('operator mistakes (the rules of src/provision/push-guards.ts)', () => {
    const push = (body: object) => post('/api/v1/appliances/edge-1/rules/push', body);
    const commits = async () =>
      ((await api.app.inject({ url: '/api/v1/events?appliance=edge-1&limit=200', headers: bearer(api.read) })).json().events as { kind: string }[]).filter(
        (e) => e.kind === 'commit',
      ).length;

    it('a table that removes every service: 409 destructivePlan with the plan, nothing sent; allowDestructive: true goes ahead', async () => {
      const before = sim.appliance.configId;
      const r = await push({ rules: { services: [] } });
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().error).toMatchObject({ code: 'destructivePlan', details: { runningConfigId: before, plan: { removed: [{ name: 'web' }] } } });
      expect(r.json().error.message).toMatch(/removes every service \(1 of 1\).*allowDestructive: true/);
      expect(sim.appliance.configId).toBe(before);
      const [entry] = await api.store.audit.list({ appliance: 'edge-1', limit: 1 });
      expect(entry).toMatchObject({ action: 'POST /api/v1/appliances/:name/rules/push', outcome: 'failed', status: 409 });

      const allowed = await push({ rules: { services: [] }, allowDestructive: true });
      expect(allowed.statusCode, allowed.body).toBe(200);
      expect(sim.appliance.rules.services).toEqual([]);
      // Nothing runs, so nothing is removed: a table onto an empty appliance needs no permission.
      expect((await push({ rules: yaml(7) })).statusCode).toBe(200);
    });

    it('refuses a destructive plan over SNMP too, with the plan read back from the appliance', async () => {
      const other = await SimulatedAppliance.start({
        name: 'rules-3',
        rules: loadRules(yaml(3), 'o.yaml'),
        listen: false,
        snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
      });
      try {
        await api.store.inventory.add({ name: 'edge-3', target: `snmp://${other.readyInfo().snmp}`, credentials: { community: 'private' } });
        const renamed = { services: [{ name: 'api', listen: '127.0.0.1:18082', backends: [{ address: '192.0.2.10:80' }] }] };
        const r = await post('/api/v1/appliances/edge-3/rules/push', { rules: renamed });
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json().error).toMatchObject({ code: 'destructivePlan', details: { plan: { removed: [{ name: 'web' }] }, removed: [{ name: 'web' }] } });
        expect(other.appliance.configId).toBe(configId(loadRules(yaml(3), 'o.yaml')));
      } finally {
        await other.stop();
      }
    });

    it('a confirm timeout under 10 s: 400 naming the value and the minimum; force: true lets it through', async () => {
      const before = sim.appliance.configId;
      const r = await push({ rules: yaml(8), confirmTimeout: '5ms' });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toMatch(/^body\.confirmTimeout: 5ms is too short: .*at least 10 s.*force: true/);
      expect(sim.appliance.configId).toBe(before);
      const forced = await push({ rules: yaml(8), confirmTimeout: '1s', force: true });
      expect(forced.statusCode, forced.body).toBe(200);
      // Nobody confirms it: the appliance goes back by itself.
      await eventually(() => sim.appliance.configId === before && sim.appliance.configManager.pending === null, 10_000, 'the revert');
    });

    it('a push over a pending commit: 409 pendingCommit naming its config and deadline; replacePending: true replaces it and says so', async () => {
      const pending = configId(loadRules(yaml(12), 'p.yaml'));
      expect((await push({ rules: yaml(12), confirmTimeout: '5m' })).statusCode).toBe(200);
      const r = await push({ rules: yaml(13) });
      expect(r.statusCode, r.body).toBe(409);
      const { error } = r.json();
      expect(error).toMatchObject({ code: 'pendingCommit', details: { configId: pending, confirmBy: expect.any(Number), pendingConfirm: expect.any(Number) } });
      expect(error.message).toContain(pending);
      expect(error.message).toMatch(/reverts at \d{4}-\d\d-\d\dT.*replacePending: true/);
      expect(sim.appliance.configId).toBe(pending);
      expect(sim.appliance.configManager.pending).not.toBeNull();

      const replaced = await push({ rules: yaml(13), replacePending: true });
      expect(replaced.statusCode, replaced.body).toBe(200);
      expect(replaced.json()).toMatchObject({ configId: configId(loadRules(yaml(13), 'x')), replaced: { configId: pending } });
      // The appliance counts in whole seconds: the deadline is known to about one.
      expect(Math.abs(replaced.json().replaced.confirmBy - error.details.confirmBy)).toBeLessThan(2_000);
      expect(sim.appliance.configManager.pending).toBeNull();
    });

    it('the table already running: 200 unchanged, nothing committed, nothing pending', async () => {
      const running = configId(loadRules(yaml(13), 'x'));
      const history = sim.appliance.configManager.history.length;
      const before = await commits();
      const r = await push({ rules: yaml(13), confirmTimeout: '5m' });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ unchanged: true, configId: running, previousConfigId: running, bytes: 0, confirmBy: null });
      expect(sim.appliance.configManager.pending).toBeNull();
      expect(sim.appliance.configManager.history.length).toBe(history);
      expect(await commits()).toBe(before);
    });

    it('validation refuses a wildcard listen address next to a specific one on the same port, naming both services', async () => {
      const text = `services:\n  - name: local\n    listen: 127.0.0.1:18080\n    backends: [{ address: 192.0.2.10:80 }]\n  - name: any\n    listen: 0.0.0.0:18080\n    backends: [{ address: 192.0.2.10:80 }]\n`;
      const r = await post('/api/v1/rules/validate', text, { 'content-type': 'text/yaml' });
      expect(r.statusCode).toBe(422);
      const lines = (r.json().error.message as string).split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^<body>:3:13 services\[0\]\.listen: .*"any"/),
        expect.stringMatching(/^<body>:6:13 services\[1\]\.listen: .*"local"/),
      ]);
    });
  });
});
