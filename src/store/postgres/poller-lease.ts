/**
 * The poller lease on PostgreSQL (table `poller_lease`, one row at most). A claim reads and
 * writes under a transaction-scoped advisory lock: with no row yet there is nothing for
 * SELECT … FOR UPDATE to lock, so two agents claiming at once would both see the lease free.
 */
import type { PgDb } from './connection.js';
import type { PollerHolder, PollerLeaseStore } from '../poller-lease.js';

/** pg_advisory_xact_lock key of poller lease claims ("fulcrumP"). */
const CLAIM_LOCK = 0x66756c6372756d50n;

const COLUMNS = 'holder, pid, host, command, since, expires';

export class PgPollerLease implements PollerLeaseStore {
  constructor(private readonly db: PgDb) {}

  async holder(): Promise<PollerHolder | null> {
    return (await this.db.query<PollerHolder>(`SELECT ${COLUMNS} FROM poller_lease WHERE id = 1`)).rows[0] ?? null;
  }

  async claim(me: PollerHolder, live: (current: PollerHolder) => boolean): Promise<PollerHolder | null> {
    return this.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK.toString()]);
      const current = (await client.query<PollerHolder>(`SELECT ${COLUMNS} FROM poller_lease WHERE id = 1`)).rows[0];
      if (current && current.holder !== me.holder && live(current)) return current;
      await client.query(
        `INSERT INTO poller_lease (id, ${COLUMNS}) VALUES (1, $1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, command = excluded.command, since = excluded.since, expires = excluded.expires`,
        [me.holder, me.pid, me.host, me.command, Math.floor(me.since), Math.floor(me.expires)],
      );
      return null;
    });
  }

  async renew(holder: string, expires: number): Promise<boolean> {
    return (await this.db.query('UPDATE poller_lease SET expires = $1 WHERE id = 1 AND holder = $2', [Math.floor(expires), holder])).rowCount === 1;
  }

  async release(holder: string): Promise<void> {
    await this.db.query('DELETE FROM poller_lease WHERE id = 1 AND holder = $1', [holder]);
  }
}
