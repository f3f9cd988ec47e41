/**
 * What only the PostgreSQL engine has to show: agents starting at once migrate once, a newer
 * schema is refused, raw frames land in day partitions that retention drops whole, and the
 * store carries on after the server restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStore } from '../../../src/store/index.js';
import { connect } from '../../../src/store/postgres/connection.js';
import { openPostgresStore, PG_SCHEMA_VERSION } from '../../../src/store/postgres/index.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../../support/postgres.js';

const T0 = Date.UTC(2025, 5, 15);
const DAY = 86_400_000;

async function sql<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!hasPostgres())('PostgreSQL store', () => {
  let server: PostgresServer;
  let dir: string;
  let n = 0;
  const keyFile = () => path.join(dir, 'secret.key');
  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-pg-store-'));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates once when several agents open a fresh database at the same time, and refuses a newer schema', async () => {
    const url = await server.createDatabase(`migrate_${++n}`);
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url, { keyFile: keyFile() })));
    try {
      expect(await sql<{ version: number }>(url, 'SELECT version FROM fulcrum_schema')).toEqual([{ version: PG_SCHEMA_VERSION }]);
      await stores[0]!.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyS0' });
      expect(await stores[2]!.inventory.names()).toEqual(['lb1']);
    } finally {
      for (const s of stores) await s.close();
    }
    await sql(url, `UPDATE fulcrum_schema SET version = ${PG_SCHEMA_VERSION + 1}`);
    await expect(openPostgresStore(url, { keyFile: keyFile() })).rejects.toMatchObject({ name: 'SchemaError', code: 'newer' });
  });

  it('writes raw frames into day partitions and drops whole partitions past retention', async () => {
    const url = await server.createDatabase(`partitions_${++n}`);
    const s = await openPostgresStore(url, { keyFile: keyFile() });
    try {
      const id = await s.metrics.series({ appliance: 'lb1', counter: 'bytesIn' }, 'counter');
      for (const ts of [T0 + 1000, T0 + 2000, T0 + DAY + 1000, T0 + 3 * DAY]) await s.metrics.write([{ series: id, ts, value: 5 }]);
      const partitions = async () =>
        (
          await sql<{ name: string }>(
            url,
            "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sample_raw'::regclass ORDER BY 1",
          )
        ).map((r) => r.name);
      expect(await partitions()).toEqual(['sample_raw_20250615', 'sample_raw_20250616', 'sample_raw_20250618']);
      expect(await sql(url, 'SELECT count(*)::int AS n FROM ONLY sample_raw_20250615')).toEqual([{ n: 2 }]);
      // Raw retention is a day: at T0 + 2 days + 1 h, only the first day is wholly past it.
      expect((await s.prune(T0 + 2 * DAY + 3_600_000)).raw).toBe(2);
      expect(await partitions()).toEqual(['sample_raw_20250616', 'sample_raw_20250618']);
      // A late frame for a dropped day recreates its partition.
      const late = await s.metrics.series({ appliance: 'lb2', counter: 'bytesIn' }, 'counter');
      expect(await s.metrics.write([{ series: late, ts: T0 + 5000, value: null }])).toEqual({ written: 1, stale: 0 });
      expect(await partitions()).toContain('sample_raw_20250615');
    } finally {
      await s.close();
    }
  });

  it('keeps a few bytes per sample in its raw frames', async () => {
    const url = await server.createDatabase(`size_${++n}`);
    const s = await openPostgresStore(url, { keyFile: keyFile() });
    try {
      const ids = await s.metrics.seriesMany(
        Array.from({ length: 50 }, (_, i) => ({ key: { appliance: 'lb1', backend: `b${i}`, counter: 'bytesIn' }, kind: 'counter' as const })),
      );
      for (let t = 1; t <= 20; t++) await s.metrics.write(ids.map((series, i) => ({ series, ts: T0 + t * 10_000, value: 1000 + i * 37 + t })));
      const [{ bytes }] = (await sql<{ bytes: number }>(url, 'SELECT sum(octet_length(data))::int AS bytes FROM sample_raw')) as [{ bytes: number }];
      expect(bytes / (50 * 20)).toBeLessThan(5);
    } finally {
      await s.close();
    }
  });

  it('a connection lost in the middle of a transaction fails that transaction, never the process', async () => {
    const url = await server.createDatabase(`lost_${++n}`);
    const db = connect(url);
    try {
      const work = db.transaction(async (client) => {
        await client.query('SELECT 1');
        // The server ends this session while the transaction waits between statements (as a restart does).
        await sql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'");
        await new Promise((r) => setTimeout(r, 300));
        await client.query('SELECT 1');
      });
      await expect(work).rejects.toThrow();
      // The broken connection was dropped: the next statement gets a fresh one.
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.end();
    }
  });

  it('carries on after PostgreSQL restarts, with everything acknowledged before it still there', async () => {
    const url = await server.createDatabase(`restart_${++n}`);
    const s: AgentStore = await openPostgresStore(url, { keyFile: keyFile() });
    try {
      const before = await s.events.append({ ts: T0, appliance: 'lb1', kind: 'commit' });
      await server.restart();
      // The server told its sessions it was shutting down: the pool dropped them and opens new ones.
      const after = await s.events.append({ ts: T0 + 1, appliance: 'lb1', kind: 'commit' });
      expect(after).toBeGreaterThan(before);
      expect((await s.events.query()).map((e) => e.id)).toEqual([before, after]);
    } finally {
      await s.close();
    }
  });
});
