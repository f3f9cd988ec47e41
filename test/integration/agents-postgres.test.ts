/**
 * Three `fulcrum monitor` agents on one real PostgreSQL, polling one simulated SNMP fleet: every
 * appliance is polled by exactly one agent (no two frames of an appliance closer than an
 * interval apart would allow); SIGKILL of an agent → its appliances polled again once its
 * lease expired; SIGTERM → at once (the leases released); SIGSTOP past the lease, then SIGCONT
 * → it rejoins and never writes beside the new owners; a PostgreSQL restart → the agents carry
 * on and every frame stored before it is still there. The waits are deadlines (the protocol's
 * bounds with room for a loaded machine), not measurements: the bench measures the gaps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { startFleet, writeFleetRules, type RunningFleet } from '../../bench/lib/sim-fleet.js';
import { fulcrumAsync } from '../support/cli.js';
import { startCli, type CliProcess } from '../support/cli-process.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../support/postgres.js';
import { waitUntil as waitFor } from '../support/eventually.js';

const INTERVAL_S = 2;
/** ownershipTtlFor(2 s): 6 s. */
const TTL_S = 6;
const APPLIANCES = 9;

describe.skipIf(!hasPostgres())('agents sharing one PostgreSQL store', () => {
  let server: PostgresServer;
  let url: string;
  let fleet: RunningFleet;
  let home: string;
  let db: pg.Pool;
  const agents: CliProcess[] = [];

  const startAgent = () => {
    const a = startCli(['monitor', '--interval', `${INTERVAL_S}s`, '--store', url, '--json'], { FULCRUM_HOME: home });
    agents.push(a);
    return a;
  };
  /** Appliance → the agent id holding its unexpired lease. */
  const owners = async () =>
    new Map(
      (
        await db.query<{ appliance: string; agent: string }>('SELECT appliance, agent FROM appliance_leases WHERE agent IS NOT NULL AND expires > now()')
      ).rows.map((r) => [r.appliance, r.agent]),
    );
  /** Frame times (s) per appliance, in order. */
  const frames = async () => {
    const rows = (
      await db.query<{ name: string; ts: string }>('SELECT m.name, r.ts FROM sample_raw r JOIN metric_appliance m ON m.id = r.appliance ORDER BY m.name, r.ts')
    ).rows;
    const out = new Map<string, number[]>();
    for (const r of rows) out.set(r.name, [...(out.get(r.name) ?? []), Number(r.ts)]);
    return out;
  };
  const newestFrame = async (name: string) => (await frames()).get(name)?.at(-1) ?? 0;
  /** No appliance ever had two frames closer than half an interval: two agents never polled it side by side. */
  const expectNoDoublePolls = async () => {
    for (const [name, ts] of await frames()) {
      const close = ts.slice(1).filter((t, i) => t - ts[i]! < INTERVAL_S / 2);
      expect(close, `${name}: frames at ${ts.join(', ')}`).toEqual([]);
    }
  };
  /** The live agents' latest cycles (their --json lines) polled the fleet once between them: no agent polls another's appliances. */
  const expectOnePollEach = (live: readonly CliProcess[]) =>
    waitFor(
      "the live agents' latest cycles adding up to the fleet once",
      async () => {
        const latest = live.map((a) =>
          a
            .lines()
            .filter((l) => l.startsWith('{'))
            .at(-1),
        );
        if (latest.some((l) => l === undefined)) return false;
        const polls = latest.map((l) => JSON.parse(l!) as { polled: number; failed: number });
        return polls.reduce((n, c) => n + c.polled + c.failed, 0) === APPLIANCES;
      },
      (3 * INTERVAL_S + 10) * 1000,
    );
  const agentIds = async () => new Map((await db.query<{ id: string; pid: number }>('SELECT id, pid FROM agents')).rows.map((r) => [r.pid, r.id]));

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('agents');
    home = mkdtempSync(path.join(tmpdir(), 'fulcrum-agents-'));
    fleet = await startFleet(APPLIANCES, writeFleetRules(path.join(home, 'rules.yaml'), 2, 2));
    // The agents share the key that seals the inventory's credentials (all three run with this FULCRUM_HOME).
    const store = await openStore({ file: url, keyFile: path.join(home, 'secret.key') });
    for (const [i, t] of fleet.targets.entries()) await store.inventory.add({ name: `lb${i}`, target: t, credentials: { community: 'public' } });
    await store.close();
    db = new pg.Pool({ connectionString: url, max: 2 });
    db.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) {
      if (a.child.exitCode === null && a.child.signalCode === null) {
        a.child.kill('SIGCONT');
        a.child.kill('SIGKILL');
      }
    }
    await db?.end();
    await fleet?.stop();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('splits the fleet among three agents, each appliance polled by one', async () => {
    startAgent();
    startAgent();
    startAgent();
    await waitFor(
      'three agents each holding appliances, every appliance owned',
      async () => {
        const o = await owners();
        return o.size === APPLIANCES && new Set(o.values()).size === 3;
      },
      // Generous: on a machine busy with other test files the agents' first turns come late;
      // what is checked is that the fleet ends up split, not how fast.
      90_000,
    );
    await waitFor('every appliance with three frames', async () => [...(await frames()).values()].filter((t) => t.length >= 3).length === APPLIANCES, 30_000);
    await expectNoDoublePolls();
    await expectOnePollEach(agents);
    // The HTTP view of the same: every agent listed live, their leases adding up to the fleet.
    const list = JSON.parse((await fulcrumAsync(['agents', '--store', url, '--json'], { FULCRUM_HOME: home })).stdout) as Array<{
      live: boolean;
      leases: number;
    }>;
    expect(list.filter((a) => a.live)).toHaveLength(3);
    expect(list.reduce((n, a) => n + a.leases, 0)).toBe(APPLIANCES);
  }, 150_000);

  it('SIGKILL: the dead agent’s appliances are polled again once its leases expired', async () => {
    const ids = await agentIds();
    const victim = agents[0]!;
    const victimId = ids.get(victim.child.pid!)!;
    const theirs = [...(await owners())].filter(([, a]) => a === victimId).map(([n]) => n);
    expect(theirs.length).toBeGreaterThan(0);
    victim.child.kill('SIGKILL');
    const killedAt = Math.floor(Date.now() / 1000);
    await waitFor(
      `each of ${theirs.join(', ')} polled again by another agent`,
      async () => (await Promise.all(theirs.map(newestFrame))).every((t) => t > killedAt + 1),
      (TTL_S + 3 * INTERVAL_S + 10) * 1000,
    );
    const o = await owners();
    for (const n of theirs) expect(o.get(n)).not.toBe(victimId);
    await expectNoDoublePolls();
    await expectOnePollEach(agents.slice(1));
  }, 90_000);

  it('SIGTERM: the leaving agent releases at once and its appliances move', async () => {
    const ids = await agentIds();
    const leaving = agents[1]!;
    const leavingId = ids.get(leaving.child.pid!)!;
    const theirs = [...(await owners())].filter(([, a]) => a === leavingId).map(([n]) => n);
    expect(theirs.length).toBeGreaterThan(0);
    leaving.child.kill('SIGTERM');
    expect((await leaving.exit()).code).toBe(0);
    // Released, not left to expire: no lease of it remains, and it is marked stopped.
    expect([...(await owners()).values()]).not.toContain(leavingId);
    expect((await db.query<{ stopped: boolean }>('SELECT stopped FROM agents WHERE id = $1', [leavingId])).rows[0]?.stopped).toBe(true);
    const leftAt = Math.floor(Date.now() / 1000);
    await waitFor(
      'every appliance polled again after the agent left',
      async () => (await Promise.all(theirs.map(newestFrame))).every((t) => t > leftAt),
      (3 * INTERVAL_S + 10) * 1000,
    );
    await expectNoDoublePolls();
    await expectOnePollEach([agents[2]!]);
  }, 90_000);

  it('SIGSTOP past the lease, then SIGCONT: the agent rejoins and never writes beside the new owner', async () => {
    startAgent();
    await waitFor('two live agents sharing the fleet again', async () => new Set((await owners()).values()).size === 2, 40_000);
    const ids = await agentIds();
    const sleeper = agents[2]!;
    const sleeperId = ids.get(sleeper.child.pid!)!;
    sleeper.child.kill('SIGSTOP');
    await waitFor(
      'the other agent owning the whole fleet',
      async () => {
        const o = await owners();
        return o.size === APPLIANCES && ![...o.values()].includes(sleeperId);
      },
      (TTL_S + 3 * INTERVAL_S + 10) * 1000,
    );
    sleeper.child.kill('SIGCONT');
    await waitFor('the woken agent holding appliances again', async () => [...(await owners()).values()].includes(sleeperId), 40_000);
    // A few cycles after it woke: still one poller per appliance.
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_S * 1000));
    await expectNoDoublePolls();
    await expectOnePollEach([agents[2]!, agents[3]!]);
  }, 120_000);

  it('a PostgreSQL restart: the agents carry on, and nothing stored before it is lost', async () => {
    const before = await frames();
    await db.end();
    await server.restart();
    db = new pg.Pool({ connectionString: url, max: 2 });
    db.on('error', () => undefined);
    const restartedAt = Math.floor(Date.now() / 1000);
    await waitFor(
      'every appliance polled again after the restart',
      async () => (await Promise.all([...before.keys()].map(newestFrame))).every((t) => t > restartedAt + 1),
      (TTL_S + 3 * INTERVAL_S + 15) * 1000,
    );
    const after = await frames();
    for (const [name, ts] of before) expect(after.get(name)!.slice(0, ts.length), name).toEqual(ts);
    await expectNoDoublePolls();
    for (const a of agents.slice(2)) expect(a.child.exitCode, a.stderr()).toBeNull();
  }, 120_000);
});
