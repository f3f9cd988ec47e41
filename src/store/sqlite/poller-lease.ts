/** The poller lease on SQLite: one row, claimed in an IMMEDIATE transaction so two processes cannot both win. */
import type { Db } from '../database.js';
import type { PollerHolder, PollerLeaseStore } from '../poller-lease.js';
import { preparedOnce, type Prepare } from './prepared.js';

export class SqlitePollerLease implements PollerLeaseStore {
  /** The holder is read on every appliance listing (its owner): compiled once. */
  private readonly sql: Prepare;

  constructor(private readonly db: Db) {
    this.sql = preparedOnce(db);
  }

  async holder(): Promise<PollerHolder | null> {
    return this.read();
  }

  private read(): PollerHolder | null {
    return (this.sql('SELECT holder, pid, host, command, since, expires FROM poller_lease WHERE id = 1').get() as PollerHolder | undefined) ?? null;
  }

  async claim(me: PollerHolder, live: (current: PollerHolder) => boolean): Promise<PollerHolder | null> {
    return this.db
      .transaction(() => {
        const current = this.read();
        if (current && current.holder !== me.holder && live(current)) return current;
        this.sql(
          `INSERT INTO poller_lease (id, holder, pid, host, command, since, expires) VALUES (1, @holder, @pid, @host, @command, @since, @expires)
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, command = excluded.command, since = excluded.since, expires = excluded.expires`,
        ).run(me);
        return null;
      })
      .immediate();
  }

  async renew(holder: string, expires: number): Promise<boolean> {
    return this.sql('UPDATE poller_lease SET expires = ? WHERE id = 1 AND holder = ?').run(Math.floor(expires), holder).changes === 1;
  }

  async release(holder: string): Promise<void> {
    this.sql('DELETE FROM poller_lease WHERE id = 1 AND holder = ?').run(holder);
  }
}
