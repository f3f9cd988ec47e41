/** The poller lease on SQLite: one row, claimed in an IMMEDIATE transaction so two processes cannot both win. */
import type { Db } from '../database.js';
import type { PollerHolder, PollerLeaseStore } from '../poller-lease.js';
export class SqlitePollerLease implements PollerLeaseStore {
  constructor(private readonly db: Db) {}

  async holder(): Promise<PollerHolder | null> {
    return this.read();
  }

  private read(): PollerHolder | null {
    return (this.db.prepare('SELECT holder, pid, host, command, since, expires FROM poller_lease WHERE id = 1').get() as PollerHolder | undefined) ?? null;
  }

  async claim(me: PollerHolder, live: (current: PollerHolder) => boolean): Promise<PollerHolder | null> {
    return this.db
      .transaction(() => {
        const current = this.read();
        if (current && current.holder !== me.holder && live(current)) return current;
        this.db
          .prepare(
            `INSERT INTO poller_lease (id, holder, pid, host, command, since, expires) VALUES (1, @holder, @pid, @host, @command, @since, @expires)
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, command = excluded.command, since = excluded.since, expires = excluded.expires`,
          )
          .run(me);
        return null;
      })
      .immediate();
  }

  async renew(holder: string, expires: number): Promise<boolean> {
    return this.db.prepare('UPDATE poller_lease SET expires = ? WHERE id = 1 AND holder = ?').run(Math.floor(expires), holder).changes === 1;
  }

  async release(holder: string): Promise<void> {
    this.db.prepare('DELETE FROM poller_lease WHERE id = 1 AND holder = ?').run(holder);
  }
}
