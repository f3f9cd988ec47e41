/**
 * Rollouts on a store several agents share (src/api/rollout-runs.ts): three `fulcrum serve` on
 * one real PostgreSQL and a simulated SNMP fleet. A rollout started on one serve and SIGKILLed
 * mid-wave is carried on by exactly one of the others (the runner lease decides which): it ends
 * `succeeded`, every appliance runs the new image, nothing upgraded before the kill is upgraded
 * again, and the adopter's log says it took the rollout over. A runner that is alive but silent
 * (SIGSTOPped: its pid still exists) is taken over once its heartbeat is older than the lease
 * on the store's clock, and stops when it wakes, recording nothing more. A rollout paused on
 * purpose is left alone when its runner dies, and runs to the end once an operator resumes it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, writeFleetRules, type RunningFleet } from '../../bench/lib/sim-fleet.js';
import { ADOPT_EVERY_MS } from '../../src/api/rollout-runs.js';
import { openStore, type AgentStore } from '../../src/store/index.js';
import { DEFAULT_LEASE_MS, type RolloutEvent } from '../../src/upgrade/rollout/index.js';
import { fulcrumAsync } from '../support/cli.js';
import { buildImageFile, makeSigningKeys } from '../support/firmware-build.js';
import { startCli, type CliProcess } from '../support/cli-process.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../support/postgres.js';
import { waitUntil as waitFor } from '../support/eventually.js';

const APPLIANCES = 6;
const ADOPTED = 'its runner stopped answering: carrying the rollout on here';

interface Status {
  id: number;
  state: string;
  runner: { pid: number } | null;
  totals: Record<string, number>;
  devices: { appliance: string; wave: number; state: string; version: string | null; started: number | null; finished: number | null }[];
}

describe.skipIf(!hasPostgres())('rollouts carried on by another agent on a shared PostgreSQL store', () => {
  let server: PostgresServer;
  let url: string;
  let fleet: RunningFleet;
  let dir: string;
  let token: string;
  let store: AgentStore;
  const serves: Array<{ proc: CliProcess; base: string; pid: number }> = [];
  const images = new Map<string, string>();

  const api = async (base: string, route: string, init: RequestInit = {}) =>
    fetch(`${base}/api/v1${route}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });
  const status = async (base: string, id: number) => (await (await api(base, `/rollouts/${id}`)).json()) as Status;
  const alive = () => serves.filter((s) => s.proc.child.exitCode === null && s.proc.child.signalCode === null);
  /** The rollout's own events and its devices', in the order they were recorded. */
  const rolloutEvents = async (id: number) =>
    (await store.events.query({ kind: 'rollout', limit: 10_000 })).map((e) => e.detail as RolloutEvent).filter((e) => e.rollout === id);
  /** What the appliance itself says it runs, asked over SNMP directly (not the agents' records). */
  const running = async (target: string) => {
    const r = await fulcrumAsync(['firmware', 'status', '--to', target, '--community', 'public', '--direct', '--json'], {
      FULCRUM_HOME: path.join(dir, 'cli'),
    });
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { active: { version: string; confirmed: boolean } }).active;
  };
  /** The rollouts a serve's log says it took over. */
  const adoptedBy = (s: { proc: CliProcess }) =>
    s.proc
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; rollout?: number })
      .filter((l) => l.msg === ADOPTED)
      .map((l) => l.rollout);
  const startServe = async (home: string) => {
    const proc = startCli(['serve', '--store', url, '--port', '0', '--poll-interval', '2s'], { FULCRUM_HOME: home });
    const first = JSON.parse(await proc.line(0, 60_000)) as { url: string };
    serves.push({ proc, base: first.url, pid: proc.child.pid! });
    return serves.at(-1)!;
  };
  const upload = async (base: string, version: string) => {
    const r = await fetch(`${base}/api/v1/firmware`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(images.get(version)!),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return ((await r.json()) as { sha256: string }).sha256;
  };

  /** Rolls `version` out over the whole fleet from `base`, one appliance at a time in `waves`; its id. */
  const startRollout = async (base: string, version: string, waves: Array<number | string>) => {
    const sha = await upload(base, version);
    const created = await api(base, '/rollouts', {
      method: 'POST',
      body: JSON.stringify({ image: sha, targets: fleet.targets.map((_, i) => `lb${i}`), waves, concurrency: 1, deadline: '3m' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    return ((await created.json()) as Status).id;
  };
  /** The rollout once it is no longer running, as `base` reports it. */
  const ended = (base: string, id: number, deadlineMs: number) =>
    waitFor(
      `rollout ${id} at its end`,
      async () => {
        const s = await status(base, id);
        return s.state !== 'running' ? s : undefined;
      },
      deadlineMs,
    );

  /** Devices that had succeeded (`before`) kept their record in `done`: started and finished as first written, never redone. */
  const expectUntouched = (before: Status['devices'], done: Status) => {
    for (const d of before)
      expect(
        done.devices.find((x) => x.appliance === d.appliance),
        d.appliance,
      ).toMatchObject({ started: d.started, finished: d.finished });
  };

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('adoption');
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-adoption-'));
    const keys = makeSigningKeys(dir);
    for (const version of ['2.0.0', '3.0.0', '4.0.0']) images.set(version, buildImageFile(keys.key, version, path.join(dir, `v${version}.fwi`)));
    const rules = writeFleetRules(path.join(dir, 'rules.yaml'), 1, 2);
    fleet = await startFleet(APPLIANCES, rules, ['--write-community', 'private', '--trust-key', keys.pub, '--state', path.join(dir, 'flash')]);
    // Each agent has a home of its own (its own firmware catalog directory), and the one key that seals the inventory's secrets.
    const homes = ['a', 'b', 'c'].map((n) => path.join(dir, `home-${n}`));
    store = await openStore({ file: url, keyFile: path.join(homes[0]!, 'secret.key') });
    for (const [i, t] of fleet.targets.entries()) await store.inventory.add({ name: `lb${i}`, target: t, credentials: { community: 'private' } });
    token = (await store.tokens.create({ role: 'admin', name: 'test' })).token;
    for (const home of homes.slice(1)) {
      mkdirSync(home, { recursive: true });
      copyFileSync(path.join(homes[0]!, 'secret.key'), path.join(home, 'secret.key'));
    }
    for (const home of homes) await startServe(home);
  }, 120_000);

  afterAll(async () => {
    for (const s of serves) {
      s.proc.child.kill('SIGCONT');
      s.proc.child.kill('SIGKILL');
    }
    await store?.close();
    await fleet?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a rollout whose serve was SIGKILLed mid-wave is finished by one other serve, nothing upgraded twice', async () => {
    const [a] = serves;
    // One at a time in three waves (1, 1, 4): the kill lands in the last wave with upgrades done, one in flight and some not begun.
    const id = await startRollout(a!.base, '2.0.0', [1, 2, '100%']);
    const killed = await waitFor(
      'the third wave under way, an upgrade in flight',
      async () => {
        const s = await status(a!.base, id);
        if (s.state !== 'running') throw new Error(`rollout ${id} is ${s.state} before the kill: ${JSON.stringify(s.devices)}`);
        return s.totals.succeeded! >= 3 && s.totals.upgrading === 1 ? s : undefined;
      },
      120_000,
    );
    a!.proc.child.kill('SIGKILL');
    expect((await a!.proc.exit()).signal).toBe('SIGKILL');
    expect(killed.runner?.pid).toBe(a!.pid);
    const before = killed.devices.filter((d) => d.state === 'succeeded');
    const inFlight = killed.devices.filter((d) => d.state === 'upgrading').map((d) => d.appliance);
    expect(before.length).toBeLessThan(APPLIANCES - 1);

    const [b, c] = serves.slice(1);
    // Adopted at a look (every ADOPT_EVERY_MS) once the runner is found dead, then the rest upgraded one by one.
    const done = await ended(b!.base, id, ADOPT_EVERY_MS * 3 + 180_000);
    expect(done.state, JSON.stringify(done.devices)).toBe('succeeded');
    expect(done.devices.every((d) => d.state === 'succeeded' && d.version === '2.0.0')).toBe(true);
    // What had succeeded before the kill kept its record: started and finished as A wrote them.
    expectUntouched(before, done);

    // The event log: one run by A, then exactly one more (the adopter's), recovering what A had in flight;
    // an upgrade started once for each appliance done before the kill, twice for the one in flight.
    const events = await rolloutEvents(id);
    const runs = events.filter((e) => e.event === 'run');
    expect(runs).toEqual([
      { event: 'run', rollout: id, recovered: [] },
      { event: 'run', rollout: id, recovered: inFlight },
    ]);
    const upgrades = (name: string) => events.filter((e) => e.event === 'upgrading' && e.appliance === name).length;
    for (const d of before) expect(upgrades(d.appliance), d.appliance).toBe(1);
    for (const name of inFlight) expect(upgrades(name), name).toBe(2);
    for (const d of done.devices.filter((x) => !before.some((y) => y.appliance === x.appliance) && !inFlight.includes(x.appliance)))
      expect(upgrades(d.appliance), d.appliance).toBe(1);
    expect(events.filter((e) => e.event === 'state')).toEqual([{ event: 'state', rollout: id, state: 'succeeded', reason: null }]);

    // Exactly one of B and C took it over, and says so; the other was told it was busy, or never tried.
    expect([...adoptedBy(b!), ...adoptedBy(c!)], `B: ${b!.proc.stderr()}\nC: ${c!.proc.stderr()}`).toEqual([id]);

    // Every appliance runs the new image, confirmed, by its own account.
    for (const target of fleet.targets) expect(await running(target), target).toMatchObject({ version: '2.0.0', confirmed: true });
  }, 400_000);

  it('a rollout paused on purpose is not carried on when its serve dies; it runs to the end once resumed', async () => {
    const [first, second] = alive();
    expect(second, 'two serves still running').toBeDefined();
    const id = await startRollout(first!.base, '3.0.0', [1, '100%']);
    await waitFor('the canary upgraded', async () => (await status(first!.base, id)).totals.succeeded! >= 1, 120_000);
    const paused = await api(first!.base, `/rollouts/${id}/pause`, { method: 'POST' });
    expect(paused.status, await paused.clone().text()).toBe(200);
    // Whatever had started finishes; then the run ends.
    const atPause = await waitFor(
      'the paused rollout settled',
      async () => {
        const s = await status(first!.base, id);
        return s.state === 'paused' && s.totals.upgrading === 0 ? s : undefined;
      },
      120_000,
    );
    expect(atPause.totals.pending).toBeGreaterThan(0);
    first!.proc.child.kill('SIGKILL');
    await first!.proc.exit();

    // Two of the survivor's looks and more: it leaves the rollout as the operator left it.
    await new Promise((r) => setTimeout(r, ADOPT_EVERY_MS * 2 + 5_000));
    const still = await status(second!.base, id);
    expect(still.state).toBe('paused');
    expect(still.devices).toEqual(atPause.devices);
    expect((await rolloutEvents(id)).filter((e) => e.event === 'run')).toHaveLength(1);
    expect(adoptedBy(second!)).not.toContain(id);

    // The operator's resume, on the survivor, runs it there to the end.
    const resumed = await api(second!.base, `/rollouts/${id}/resume`, { method: 'POST' });
    expect(resumed.status, await resumed.clone().text()).toBe(200);
    const done = await ended(second!.base, id, 180_000);
    expect(done.state, JSON.stringify(done.devices)).toBe('succeeded');
    for (const target of fleet.targets) expect((await running(target)).version, target).toBe('3.0.0');
  }, 400_000);

  it('a runner alive but silent past its lease is taken over on the store clock, and stops when it wakes', async () => {
    const [runner] = alive();
    // A fourth agent, so that one is left to take over.
    const home = path.join(dir, 'home-d');
    mkdirSync(home, { recursive: true });
    copyFileSync(path.join(dir, 'home-a', 'secret.key'), path.join(home, 'secret.key'));
    const other = await startServe(home);
    const id = await startRollout(runner!.base, '4.0.0', [1, '100%']);
    const stopped = await waitFor(
      'the second wave under way',
      async () => {
        const s = await status(other.base, id);
        return s.totals.succeeded! >= 2 ? s : undefined;
      },
      120_000,
    );
    runner!.proc.child.kill('SIGSTOP');
    const before = stopped.devices.filter((d) => d.state === 'succeeded');
    // Its pid still exists: only its heartbeat, older than the lease on the server's clock, gives it away.
    await waitFor('the other serve carrying the rollout on', async () => adoptedBy(other).includes(id), DEFAULT_LEASE_MS + ADOPT_EVERY_MS * 2 + 30_000);
    runner!.proc.child.kill('SIGCONT');
    const done = await ended(other.base, id, 240_000);
    expect(done.state, JSON.stringify(done.devices)).toBe('succeeded');
    expectUntouched(before, done);
    const events = await rolloutEvents(id);
    expect(events.filter((e) => e.event === 'run')).toHaveLength(2);
    for (const d of before)
      expect(
        events.filter((e) => e.event === 'upgrading' && e.appliance === d.appliance),
        d.appliance,
      ).toHaveLength(1);
    // Each appliance's outcome recorded once: the woken runner wrote nothing more.
    for (const target of fleet.targets.keys())
      expect(
        events.filter((e) => e.event === 'succeeded' && e.appliance === `lb${target}`),
        `lb${target}`,
      ).toHaveLength(1);
    // Woken, the old runner finds its lease taken and stops its run.
    await waitFor('the woken runner stopping its run', async () => runner!.proc.stderr().includes('was taken over by another process'), 30_000);
    for (const target of fleet.targets) expect(await running(target), target).toMatchObject({ version: '4.0.0', confirmed: true });
  }, 400_000);
});
