/**
 * Brings a PostgreSQL database to PG_SCHEMA_VERSION. Invariant: all pending migrations run in
 * one transaction holding a transaction-scoped advisory lock, so of two agents starting at once
 * one migrates and the other, waiting on the lock, then finds the schema current; a failed
 * migration leaves the database as it was; a database from a newer agent is refused.
 *
 * The version lives in `fulcrum_schema` (one row), created under the lock: PostgreSQL has no
 * user_version.
 */
import type { PgClient, PgDb } from './connection.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema.js';

/** pg_advisory_xact_lock key: "fulcrum " as 8 bytes, unlikely to collide with another application's. */
const MIGRATION_LOCK = 0x66756c6372756d20n;

export type SchemaErrorCode = 'newer' | 'failed' | 'numbering';

export class SchemaError extends Error {
  override readonly name = 'SchemaError';

  constructor(
    readonly code: SchemaErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function checkNumbering(): void {
  PG_MIGRATIONS.forEach((m, i) => {
    if (m.version !== i + 1) throw new SchemaError('numbering', `PostgreSQL migration "${m.description}" is numbered ${m.version}, expected ${i + 1}`);
  });
}

async function currentVersion(client: PgClient): Promise<number> {
  await client.query('CREATE TABLE IF NOT EXISTS fulcrum_schema (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), version INTEGER NOT NULL)');
  const rows = (await client.query<{ version: number }>('SELECT version FROM fulcrum_schema')).rows;
  return rows[0]?.version ?? 0;
}

/** Migrates `db` (named `where` in errors); returns the version it was at before. */
export async function migrate(db: PgDb, where: string): Promise<number> {
  checkNumbering();
  return db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    const version = await currentVersion(client);
    if (version > PG_SCHEMA_VERSION) {
      throw new SchemaError(
        'newer',
        `${where}: database schema version ${version} is newer than this agent knows (${PG_SCHEMA_VERSION}); upgrade Fulcrum to open it`,
      );
    }
    for (const m of PG_MIGRATIONS) {
      if (m.version <= version) continue;
      try {
        await client.query(m.sql);
      } catch (error) {
        throw new SchemaError(
          'failed',
          `${where}: upgrading the database to schema version ${m.version} (${m.description}) failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    if (version < PG_SCHEMA_VERSION) {
      await client.query('INSERT INTO fulcrum_schema (version) VALUES ($1) ON CONFLICT (one) DO UPDATE SET version = excluded.version', [PG_SCHEMA_VERSION]);
    }
    return version;
  });
}
