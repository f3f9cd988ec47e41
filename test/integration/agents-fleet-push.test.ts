/**
 * A fleet push whose agent dies mid-run is carried on by another agent of the same PostgreSQL
 * store: two `fulcrum serve` on one database and a simulated fleet; the push starts on A with a
 * settle long enough to be caught mid-run, A is SIGKILLed, and B — once A's runner lease went
 * stale — takes it over. At the end every appliance runs the wanted config with nothing pending,
 * the push says succeeded and who took it over from whom, no appliance confirmed before the kill
 * was pushed again, and the audit holds one entry for the push.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { startFleet, writeFleetRules, type RunningFleet } from '../../bench/lib/sim-fleet.js';
import { eventually } from '../support/api.js';
import { startCli, type CliProcess } from '../support/cli-process.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../support/postgres.js';

const APPLIANCES = 4;
const NAMES = Array.from({ length: APPLIANCES }, (_, i) => `lb${i}`);

interface PushStatus {
  id: number;
  state: string;
  configId: string;
  runner: { host: string; pid: number; live: boolean } | null;
  adoptions: Array<{ from: { host: string; pid: number }; by: { host: string; pid: number } }>;
  targets: Array<{ appliance: string; state: string; canary: boolean }>;
}

/** `eventually`, asking at most every 200 ms (each look is two requests to an agent) and taking a failed request for "not yet". */
const waitFor = <T>(what: string, check: () => Promise<T | null>, deadlineMs: number): Promise<T> =>
  eventually(
    async () => {
      const found = await check().catch(() => null);
      if (found === null) await new Promise((r) => setTimeout(r, 200));
      return found ?? undefined;
    },
    deadlineMs,
    what,
  );

describe.skipIf(!hasPostgres())('a fleet push carried on by another agent when its agent dies', () => {
  let server: PostgresServer;
  let fleet: RunningFleet;
  let home: string;
  let token: string;
  let rules: string;
  const serves: Array<{ proc: CliProcess; base: string }> = [];

  const api = async (base: string, route: string, init: RequestInit = {}) =>
    fetch(`${base}/api/v1${route}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
  const json = async <T>(base: string, route: string): Promise<T> => {
    const r = await api(base, route);
    if (r.status !== 200) throw new Error(`${route}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };

  beforeAll(async () => {
    server = await startPostgres();
    const url = await server.createDatabase('fleet_push_adoption');
    home = mkdtempSync(path.join(tmpdir(), 'fulcrum-fleet-adopt-'));
    const file = writeFleetRules(path.join(home, 'rules.yaml'), 1, 2);
    rules = readFileSync(file, 'utf8').replace('198.51.100.1:9000 }', '198.51.100.1:9000, weight: 3 }');
    fleet = await startFleet(APPLIANCES, file, ['--write-community', 'private']);
    const store = await openStore({ file: url, keyFile: path.join(home, 'secret.key') });
    for (const [i, t] of fleet.targets.entries()) await store.inventory.add({ name: NAMES[i]!, target: t, credentials: { community: 'private' } });
    token = (await store.tokens.create({ role: 'admin', name: 'operator' })).token;
    await store.close();
    for (let i = 0; i < 2; i++) {
      const proc = startCli(['serve', '--store', url, '--port', '0', '--poll-interval', '2s'], { FULCRUM_HOME: home });
      const first = JSON.parse(await proc.line(0, 30_000)) as { url: string };
      serves.push({ proc, base: first.url });
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of serves) s.proc.child.kill('SIGKILL');
    await fleet?.stop();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('finishes the push on B: every appliance on the wanted id, confirmed once, adopted from A', async () => {
    const [a, b] = serves as [{ proc: CliProcess; base: string }, { proc: CliProcess; base: string }];
    // The answer never comes: A is killed before the run ends.
    const answer = api(a.base, '/rules/push', { method: 'POST', body: JSON.stringify({ rules, settle: '6s', confirmTimeout: '3m', canary: 1 }) }).catch(
      () => null,
    );
    // Mid-run, as B sees it in the shared store: the canary confirmed, the others pushed and not yet.
    const atKill = await waitFor(
      'the canary confirmed and the others pushed, unconfirmed',
      async () => {
        const { pushes } = await json<{ pushes: Array<{ id: number }> }>(b.base, '/rules/pushes');
        if (pushes.length === 0) return null;
        const status = await json<PushStatus>(b.base, `/rules/pushes/${pushes[0]!.id}`);
        const canary = status.targets.find((t) => t.canary);
        return canary?.state === 'confirmed' && status.targets.some((t) => t.state === 'pushing') ? status : null;
      },
      90_000,
    );
    a.proc.child.kill('SIGKILL');
    await a.proc.exit();
    expect(await answer).toBeNull();
    const confirmedBefore = atKill.targets.filter((t) => t.state === 'confirmed').map((t) => t.appliance);
    expect(atKill.runner?.pid).toBe(a.proc.child.pid);

    const done = await waitFor(
      'the push succeeded on B',
      async () => {
        const status = await json<PushStatus>(b.base, `/rules/pushes/${atKill.id}`);
        return status.state === 'running' ? null : status;
      },
      150_000,
    );
    expect(done.state).toBe('succeeded');
    expect(done.targets.map((t) => t.state)).toEqual(NAMES.map(() => 'confirmed'));
    expect(done.runner).toBeNull();
    expect(done.adoptions).toEqual([
      { at: expect.any(Number), from: { host: expect.any(String), pid: a.proc.child.pid }, by: { host: expect.any(String), pid: b.proc.child.pid } },
    ]);

    // What the appliances themselves say, read live through B.
    for (const name of NAMES) {
      const info = await json<{ configId: string; pendingConfirm: number | null }>(b.base, `/appliances/${name}`);
      expect([name, info.configId, info.pendingConfirm]).toEqual([name, done.configId, null]);
    }

    // Each appliance confirmed before the kill was pushed once (by A), never again.
    const { events } = await json<{ events: Array<{ appliance: string; kind: string; detail: { fleetPush?: number; event?: string } }> }>(
      b.base,
      '/events?limit=1000',
    );
    const commits = (name: string) => events.filter((e) => e.kind === 'commit' && e.appliance === name && e.detail.fleetPush === atKill.id).length;
    expect(confirmedBefore.length).toBeGreaterThan(0);
    for (const name of confirmedBefore) expect([name, commits(name)]).toEqual([name, 1]);
    // Those pushed and not confirmed yet were judged and confirmed by B, not pushed a second time (their commits had minutes left).
    for (const t of atKill.targets.filter((x) => x.state === 'pushing')) expect([t.appliance, commits(t.appliance) <= 1]).toEqual([t.appliance, true]);
    expect(events.filter((e) => e.appliance === `fleet-push:${atKill.id}` && e.detail.event === 'adopted')).toHaveLength(1);

    // One audit entry for the push: the one B wrote when it ended it (A never answered).
    const { entries } = await json<{ entries: Array<{ action: string; outcome: string; actor: { name: string }; detail: { fleetPush?: number } }> }>(
      b.base,
      '/audit',
    );
    const audited = entries.filter((e) => e.action === 'POST /api/v1/rules/push');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ outcome: 'ok', actor: { name: 'operator' }, detail: { fleetPush: atKill.id } });
  }, 300_000);
});
