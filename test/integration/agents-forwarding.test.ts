/**
 * Two `fulcrum serve` agents on one PostgreSQL: any of them answers reads from the shared store,
 * and a change sent to the one that does not own the appliance is carried out by the owner
 * (answered with `x-fulcrum-owner`, audited once, by the owner); GET /agents lists both with the
 * URL they take changes at, and every appliance of GET /appliances names its owner; the owner's
 * events reach the other agent's live stream through the shared event log.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { startFleet, writeFleetRules, type RunningFleet } from '../../bench/lib/sim-fleet.js';
import { startCli, type CliProcess } from '../support/cli-process.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../support/postgres.js';
import { waitUntil as waitFor } from '../support/eventually.js';

const APPLIANCES = 4;

describe.skipIf(!hasPostgres())('serve agents sharing one PostgreSQL store', () => {
  let server: PostgresServer;
  let url: string;
  let fleet: RunningFleet;
  let home: string;
  let token: string;
  const serves: Array<{ proc: CliProcess; base: string }> = [];

  const api = async (base: string, route: string, init: RequestInit = {}) =>
    fetch(`${base}/api/v1${route}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('forwarding');
    home = mkdtempSync(path.join(tmpdir(), 'fulcrum-fwd-'));
    const rules = writeFleetRules(path.join(home, 'rules.yaml'), 1, 2);
    fleet = await startFleet(APPLIANCES, rules, ['--write-community', 'private']);
    const store = await openStore({ file: url, keyFile: path.join(home, 'secret.key') });
    for (const [i, t] of fleet.targets.entries()) await store.inventory.add({ name: `lb${i}`, target: t, credentials: { community: 'private' } });
    token = (await store.tokens.create({ role: 'admin', name: 'test' })).token;
    await store.close();
    for (let i = 0; i < 2; i++) {
      const proc = startCli(['serve', '--store', url, '--port', '0', '--poll-interval', '2s'], { FULCRUM_HOME: home });
      const first = JSON.parse(await proc.line(0, 30_000)) as { url: string };
      serves.push({ proc, base: first.url });
    }
    writeFileSync(path.join(home, 'push.yaml'), readFileSync(rules, 'utf8'));
  }, 90_000);

  afterAll(async () => {
    for (const s of serves) s.proc.child.kill('SIGKILL');
    await fleet?.stop();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('lists both agents and each appliance with its owner, from either of them', async () => {
    await waitFor(
      'every appliance owned, by both agents',
      async () => {
        const list = (await (await api(serves[0]!.base, '/appliances')).json()) as { appliances: Array<{ owner: string | null }> };
        return (
          list.appliances.length === APPLIANCES && list.appliances.every((a) => a.owner !== null) && new Set(list.appliances.map((a) => a.owner)).size === 2
        );
      },
      // Generous: on a machine busy with other test files the agents' first turns come late;
      // what is checked is that the fleet ends up split, not how fast.
      90_000,
    );
    const agents = (await (await api(serves[1]!.base, '/agents')).json()) as { agents: Array<{ live: boolean; apiUrl: string | null; leases: number }> };
    expect(agents.agents.filter((a) => a.live)).toHaveLength(2);
    expect(agents.agents.map((a) => a.apiUrl).sort()).toEqual(serves.map((s) => s.base).sort());
    expect(agents.agents.reduce((n, a) => n + a.leases, 0)).toBe(APPLIANCES);
  }, 120_000);

  it('a change sent to the other agent is made by the owner, and audited once', async () => {
    const agents = (await (await api(serves[0]!.base, '/agents')).json()) as { agents: Array<{ id: string; apiUrl: string }> };
    const list = (await (await api(serves[0]!.base, '/appliances')).json()) as { appliances: Array<{ name: string; owner: string }> };
    const target = list.appliances[0]!;
    const owner = agents.agents.find((a) => a.id === target.owner)!;
    const other = serves.find((s) => s.base !== owner.apiUrl)!;
    // The other agent's live stream, open before the change: the owner's events reach it through the shared log.
    const stream = new AbortController();
    const seen: string[] = [];
    const reading = fetch(`${other.base}/api/v1/stream?token=${token}`, { signal: stream.signal })
      .then(async (res) => {
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) seen.push(decoder.decode(chunk));
      })
      .catch(() => undefined);
    await waitFor('the stream open', async () => seen.length > 0, 10_000);
    const rules = readFileSync(path.join(home, 'push.yaml'), 'utf8').replace('198.51.100.1:9000 }', '198.51.100.1:9000, weight: 3 }');
    const r = await api(other.base, `/appliances/${target.name}/rules/push`, { method: 'POST', body: JSON.stringify({ rules }) });
    const body = (await r.json()) as { configId?: string };
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(r.headers.get('x-fulcrum-owner')).toBe(owner.id);
    expect(body.configId).toMatch(/^[0-9a-f]+$/);
    const audit = (await (await api(other.base, `/audit?appliance=${target.name}`)).json()) as
      Array<{ action: string }> | { entries: Array<{ action: string }> };
    const entries = Array.isArray(audit) ? audit : audit.entries;
    expect(entries.filter((e) => e.action === 'POST /api/v1/appliances/:name/rules/push')).toHaveLength(1);
    await waitFor(
      "the owner's commit event on the other agent's stream",
      async () =>
        seen
          .join('')
          .split('\n\n')
          .some((m) => m.includes('event: event') && m.includes('"kind":"commit"') && m.includes(`"appliance":"${target.name}"`)),
      10_000,
    );
    stream.abort();
    await reading;
    // The owner's poll sees its own change: the appliance runs the pushed table.
    await waitFor(
      'the new config id polled',
      async () => {
        const a = (await (await api(owner.apiUrl, '/appliances')).json()) as { appliances: Array<{ name: string; configId: string | null }> };
        return a.appliances.find((x) => x.name === target.name)?.configId === body.configId;
      },
      20_000,
    );
  }, 60_000);
});
