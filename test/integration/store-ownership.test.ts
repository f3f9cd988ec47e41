/**
 * The ownership protocol on a real PostgreSQL (src/store/postgres/ownership.ts): one coordinator
 * at a time and its stale plans refused; a lease taken only when free or expired, its epoch
 * growing with each owner; a write under a stale or lapsed lease refused by the store itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaleLeaseError, type AgentRegistration, type AgentStore, type OwnershipStore } from '../../src/store/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../support/postgres.js';

const agent = (id: string, capacity = 100): AgentRegistration => ({ id, site: 'default', capacity, host: 'test', pid: 1, command: 'test', apiUrl: null });
const TTL = 60_000;

describe.skipIf(!hasPostgres())('agent ownership on PostgreSQL', () => {
  let server: PostgresServer;
  let dir: string;
  let store: AgentStore;
  let own: OwnershipStore;
  let db: pg.Pool;
  let n = 0;

  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-own-'));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.end();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh database with `count` appliances. */
  const fresh = async (count: number) => {
    await store?.close();
    await db?.end();
    const url = await server.createDatabase(`own${n++}`);
    store = await openPostgresStore(url, { keyFile: path.join(dir, 'secret.key') });
    own = store.ownership!;
    db = new pg.Pool({ connectionString: url, max: 1 });
    for (let i = 0; i < count; i++) await store.inventory.add({ name: `lb${i}`, target: `snmp://127.0.0.1:${1000 + i}`, credentials: { community: 'public' } });
  };
  const expire = (name: string) => db.query("UPDATE appliance_leases SET expires = now() - interval '1 second' WHERE appliance = $1", [name]);

  it('one coordinator at a time; the next one takes over only after it expired, with a new epoch', async () => {
    await fresh(0);
    const first = await own.coordinate('a', TTL);
    expect(first).not.toBeNull();
    expect(await own.coordinate('b', TTL)).toBeNull();
    expect(await own.coordinate('a', TTL)).toBe(first);
    await db.query("UPDATE coordinator SET expires = now() - interval '1 second'");
    const second = await own.coordinate('b', TTL);
    expect(second).toBe(first! + 1);
    // The old coordinator's plan is refused once its epoch is stale.
    expect(await own.assign('a', first!, new Map())).toBe(false);
    expect(await own.assign('b', second!, new Map())).toBe(true);
  });

  it('a lease is taken only when free or expired, each new owner with a higher epoch', async () => {
    await fresh(1);
    await own.heartbeat(agent('a'), null, TTL);
    await own.heartbeat(agent('b'), null, TTL);
    const epoch = (await own.coordinate('a', TTL))!;
    await own.assign('a', epoch, new Map([['lb0', 'a']]));
    const [held] = await own.sync('a', TTL);
    expect(held).toEqual({ appliance: 'lb0', epoch: 1 });
    // Moved to b while a still holds it: b waits for a to release or expire.
    await own.assign('a', epoch, new Map([['lb0', 'b']]));
    expect(await own.sync('b', TTL)).toEqual([]);
    await expire('lb0');
    expect(await own.sync('b', TTL)).toEqual([{ appliance: 'lb0', epoch: 2 }]);
    expect((await own.owners()).get('lb0')).toBe('b');
    // The old holder's turn gives it nothing back.
    expect(await own.sync('a', TTL)).toEqual([]);
  });

  it('writes under a stale or lapsed lease are refused by the store; the holder’s land', async () => {
    await fresh(1);
    await own.heartbeat(agent('a'), null, TTL);
    const epoch = (await own.coordinate('a', TTL))!;
    await own.assign('a', epoch, new Map([['lb0', 'a']]));
    await own.sync('a', TTL);
    const [id] = await store.metrics.seriesMany([{ key: { appliance: 'lb0', counter: 'conns' }, kind: 'counter' }]);
    const at = (s: number) => [{ series: id!, ts: Date.UTC(2026, 11, 3, 12, 0, s), value: 5 }];
    const fence = (e: number) => ({ agent: 'a', epochs: new Map([['lb0', e]]) });
    expect(await store.metrics.write(at(0), fence(1))).toMatchObject({ written: 1, fenced: 0 });
    // A stale epoch (an owner from before a takeover): refused.
    expect(await store.metrics.write(at(10), fence(0))).toMatchObject({ written: 0, fenced: 1 });
    // Another agent's fence: refused.
    expect(await store.metrics.write(at(20), { agent: 'b', epochs: new Map([['lb0', 1]]) })).toMatchObject({ written: 0, fenced: 1 });
    // The right epoch, but the lease lapsed (the agent was stopped past its TTL): refused.
    await expire('lb0');
    expect(await store.metrics.write(at(30), fence(1))).toMatchObject({ written: 0, fenced: 1 });
    // An appliance the fence does not name at all: not written.
    expect(await store.metrics.write(at(40), { agent: 'a', epochs: new Map() })).toMatchObject({ written: 0, fenced: 1 });
    const frames = await db.query('SELECT count(*)::int AS n FROM sample_raw');
    expect(frames.rows[0].n).toBe(1);
    // Events and the appliance's state under the same lapsed lease: refused too, nothing written.
    const identity = { model: 'sim', firmware: '1.0.0', configId: 'abc', pendingConfirm: null };
    await expect(store.events.append({ ts: 1, appliance: 'lb0', kind: 'drift' }, fence(1))).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(store.applianceState.observed('lb0', 1, identity, fence(1))).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(store.applianceState.failed('lb0', 1, 'timeout', fence(1))).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await store.events.query({ appliance: 'lb0' })).toEqual([]);
    expect(await store.applianceState.get('lb0')).toBeNull();
    // Held again (a new epoch): the same writes land.
    await own.sync('a', TTL);
    const held = fence(2);
    expect(await store.events.append({ ts: 1, appliance: 'lb0', kind: 'drift' }, held)).toBeGreaterThan(0);
    await store.applianceState.observed('lb0', 1, identity, held);
    expect((await store.applianceState.get('lb0'))?.configId).toBe('abc');
  });

  it('leaving releases every lease and the coordinator at once, and marks the agent stopped', async () => {
    await fresh(3);
    await own.heartbeat(agent('a'), 1234, TTL);
    const epoch = (await own.coordinate('a', TTL))!;
    await own.assign('a', epoch, new Map(['lb0', 'lb1', 'lb2'].map((n) => [n, 'a'])));
    expect(await own.sync('a', TTL)).toHaveLength(3);
    const [listed] = await own.agents();
    expect(listed).toMatchObject({ id: 'a', live: true, leases: 3, coordinator: true, cycleMs: 1234, ttlMs: TTL });
    await own.leave('a');
    expect((await own.owners()).size).toBe(0);
    expect(await own.coordinate('b', TTL)).toBe(epoch + 1);
    expect((await own.agents())[0]).toMatchObject({ id: 'a', live: false, stopped: true, leases: 0 });
    // A stopped agent's late heartbeat does not bring it back to life.
    await own.heartbeat(agent('a'), null, TTL);
    expect((await own.view()).agents.map((a) => a.id)).not.toContain('a');
  });
});
