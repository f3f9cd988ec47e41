/** The inventory (with sealed credentials) and the event log behave the same on every engine. */
import { expect, it } from 'vitest';
import { InventoryError, type AgentStore } from '../../../src/store/index.js';
import { describeEachEngine } from './engines.js';

const T0 = Date.UTC(2025, 5, 15);
const V3 = { user: 'ops', authProtocol: 'sha' as const, authKey: 'authpass-123', privProtocol: 'aes' as const, privKey: 'privpass-456' };

async function refusal(p: Promise<unknown>): Promise<InventoryError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InventoryError);
  return error as InventoryError;
}

describeEachEngine('store conformance: inventory', ({ open, reopen }) => {
  it('adds, gets, lists in name order, updates and removes appliances', async () => {
    const s = await open();
    await s.inventory.add({ name: 'lb-b', target: 'snmp://10.0.0.2:161', credentials: { community: 'public' } }, T0);
    await s.inventory.add({ name: 'lb-a', target: 'serial:/dev/ttyS0' }, T0 + 1);
    await s.inventory.add({ name: 'Lb-c', target: 'snmp://10.0.0.3', credentials: V3 }, T0 + 2);
    expect((await s.inventory.list()).map((a) => a.name)).toEqual(['Lb-c', 'lb-a', 'lb-b']);
    expect(await s.inventory.names()).toEqual(['Lb-c', 'lb-a', 'lb-b']);
    expect(await s.inventory.get('lb-b')).toEqual({ name: 'lb-b', target: 'snmp://10.0.0.2:161', credentials: { community: 'public' }, created: T0 });
    expect(await s.inventory.get('nobody')).toBeNull();

    const moved = await s.inventory.update('lb-b', { target: 'snmp://10.0.0.9:161' });
    expect(moved).toEqual({ name: 'lb-b', target: 'snmp://10.0.0.9:161', credentials: { community: 'public' }, created: T0 });
    await s.inventory.update('lb-b', { credentials: V3 });
    expect((await s.inventory.get('lb-b'))?.credentials).toEqual(V3);

    await s.inventory.remove('lb-a');
    expect(await s.inventory.names()).toEqual(['Lb-c', 'lb-b']);
  });

  it('refuses duplicates, unknown names and invalid input with typed errors', async () => {
    const s = await open();
    await s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyS0' });
    expect((await refusal(s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyS1' }))).code).toBe('duplicate');
    expect((await refusal(s.inventory.remove('lb2'))).code).toBe('notFound');
    expect((await refusal(s.inventory.update('lb2', { target: 'serial:/dev/ttyS1' }))).code).toBe('notFound');
    expect((await refusal(s.inventory.add({ name: 'bad name', target: 'serial:/dev/ttyS0' }))).code).toBe('invalid');
    expect((await refusal(s.inventory.add({ name: 'lb3', target: 'ftp://x' }))).code).toBe('invalid');
    expect((await refusal(s.inventory.add({ name: 'lb3', target: 'snmp://x', credentials: { user: 'u', privProtocol: 'aes', privKey: 'k' } }))).code).toBe(
      'invalid',
    );
    expect(await s.inventory.names()).toEqual(['lb1']);
  });

  it('seals credentials with the key file: the store holds no secret in clear, and reopens with the key', async () => {
    const s = await open();
    await s.inventory.add({ name: 'lb1', target: 'snmp://10.0.0.1', credentials: V3 });
    await s.inventory.add({ name: 'lb2', target: 'snmp://10.0.0.2', credentials: { community: 'c0mmunity-secret' } });
    const raw = await rawCredentials(s);
    expect(raw).toHaveLength(2);
    for (const text of raw) {
      expect(text).toMatch(/^sealed:v1:/);
      expect(text).not.toContain('privpass-456');
      expect(text).not.toContain('c0mmunity-secret');
    }
    await s.close();
    const again = await reopen(s);
    expect((await again.inventory.get('lb1'))?.credentials).toEqual(V3);
    expect((await again.inventory.get('lb2'))?.credentials).toEqual({ community: 'c0mmunity-secret' });
  });
});

/** The credentials column as stored, read around the store's own code. */
async function rawCredentials(s: AgentStore): Promise<string[]> {
  if (s.location.startsWith('postgres')) {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: s.location });
    await client.connect();
    try {
      return (await client.query<{ credentials: string }>('SELECT credentials FROM appliances ORDER BY name')).rows.map((r) => r.credentials);
    } finally {
      await client.end();
    }
  }
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(s.location, { readonly: true });
  try {
    return (db.prepare('SELECT credentials FROM appliances ORDER BY name').all() as Array<{ credentials: string }>).map((r) => r.credentials);
  } finally {
    db.close();
  }
}

describeEachEngine('store conformance: events', ({ open }) => {
  async function seeded(): Promise<{ s: AgentStore; ids: number[] }> {
    const s = await open();
    const ids: number[] = [];
    ids.push(await s.events.append({ ts: T0 + 2000, appliance: 'lb1', kind: 'commit', detail: { id: 'abc' } }));
    ids.push(await s.events.append({ ts: T0 + 1000, appliance: 'lb2', kind: 'backend-down', detail: { backend: '10.0.0.2:80', n: 10n ** 20n } }));
    ids.push(await s.events.append({ ts: T0 + 3000, appliance: 'lb1', kind: 'backend-down' }));
    // Appended late with an early time.
    ids.push(await s.events.append({ ts: T0 + 500.7, appliance: 'lb1', kind: 'trap', detail: ['x'] }));
    return { s, ids };
  }

  it('gives increasing ids in append order and keeps detail as JSON (bigints as text)', async () => {
    const { s, ids } = await seeded();
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(await s.events.lastId()).toBe(ids[3]);
    const all = await s.events.query();
    expect(all.map((e) => e.id)).toEqual([ids[3], ids[1], ids[0], ids[2]]);
    expect(all[0]).toEqual({ id: ids[3], ts: T0 + 500, appliance: 'lb1', kind: 'trap', detail: ['x'] });
    expect(all[1]!.detail).toEqual({ backend: '10.0.0.2:80', n: '100000000000000000000' });
    expect(all[3]!.detail).toBeNull();
  });

  it('filters by appliance, kind and inclusive times, orders both ways and limits', async () => {
    const { s, ids } = await seeded();
    expect((await s.events.query({ appliance: 'lb1' })).map((e) => e.id)).toEqual([ids[3], ids[0], ids[2]]);
    expect((await s.events.query({ kind: 'backend-down' })).map((e) => e.id)).toEqual([ids[1], ids[2]]);
    expect((await s.events.query({ from: T0 + 1000, to: T0 + 2000 })).map((e) => e.id)).toEqual([ids[1], ids[0]]);
    expect((await s.events.query({ order: 'desc', limit: 2 })).map((e) => e.id)).toEqual([ids[2], ids[0]]);
    expect(await s.events.query({ limit: 0 })).toEqual([]);
    expect((await s.events.query({ appliance: 'lb1', kind: 'backend-down', order: 'desc' })).map((e) => e.id)).toEqual([ids[2]]);
  });

  it("pages after an id in id order, whatever the events' times", async () => {
    const { s, ids } = await seeded();
    expect((await s.events.query({ afterId: ids[0]! })).map((e) => e.id)).toEqual([ids[1], ids[2], ids[3]]);
    expect((await s.events.query({ afterId: ids[0]!, limit: 2 })).map((e) => e.id)).toEqual([ids[1], ids[2]]);
    expect(await s.events.query({ afterId: ids[3]! })).toEqual([]);
  });

  it('refuses events without a time, appliance or kind', async () => {
    const s = await open();
    await expect(s.events.append({ ts: Number.NaN, appliance: 'lb1', kind: 'x' })).rejects.toThrow(RangeError);
    await expect(s.events.append({ ts: T0, appliance: '', kind: 'x' })).rejects.toThrow(TypeError);
    await expect(s.events.append({ ts: T0, appliance: 'lb1', kind: '' })).rejects.toThrow(TypeError);
    expect(await s.events.lastId()).toBe(0);
  });

  it('prunes events older than a time, and the store prunes them past their retention', async () => {
    const { s } = await seeded();
    expect(await s.events.prune(T0 + 1000)).toBe(1);
    expect((await s.events.query()).map((e) => e.ts)).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
    const summary = await s.prune(T0 + 2500 + s.metrics.retention.events);
    expect(summary.events).toBe(2);
    expect((await s.events.query()).map((e) => e.ts)).toEqual([T0 + 3000]);
  });
});
