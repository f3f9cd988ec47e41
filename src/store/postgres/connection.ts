/**
 * The store's connection to PostgreSQL: a pool, and transactions that are all or nothing.
 * Invariant: every multi-statement change runs inside `transaction()` on one pooled client, and
 * a client whose transaction failed in a way that may have left it unusable (connection lost,
 * server restarted) is destroyed rather than handed to the next caller.
 *
 * Times (ms) and ids are BIGINT columns: they come back as JS numbers (all stay below 2^53),
 * set on this pool only, so no other user of `pg` in the process is affected.
 */
import pg from 'pg';

const INT8_OID = 20;

const types = new pg.TypeOverrides();
types.setTypeParser(INT8_OID, (text: string) => Number(text));

/** What the store's modules need of the database: a query, or a transaction on one client. */
export interface PgDb {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  transaction<T>(work: (client: PgClient) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

/** One client inside a transaction. */
export interface PgClient {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** PostgreSQL's SQLSTATE of a failed statement, if that is what `error` is. */
export const sqlState = (error: unknown): string | undefined =>
  error instanceof pg.DatabaseError
    ? error.code
    : (error as { code?: unknown } | null)?.code === undefined
      ? undefined
      : String((error as { code: unknown }).code);

export const UNIQUE_VIOLATION = '23505';

export interface PgPoolOptions {
  /** Connections at most (default 4: the agent's writes are batched, reads are short). */
  max?: number;
}

export function connect(url: string, options: PgPoolOptions = {}): PgDb {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, types });
  // An idle client whose server went away (restart, failover) reports here; without a listener
  // the pool's error would end the process. The pool drops that client and opens a new one.
  pool.on('error', () => {});
  return {
    query: (text, values) => pool.query(text, values),
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no listener of the pool's: a server that goes away while the
      // transaction waits between statements (a restart) would otherwise end the process. The
      // statement in flight fails on its own; the client is then released as broken.
      const lost = (error: Error) => (broken = error);
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollback) {
          broken = rollback as Error;
        }
        throw error;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    end: () => pool.end(),
  };
}
