/**
 * The poller lease: at most one row, naming the process that polls the inventory into this
 * store (`fulcrum monitor` or `fulcrum serve`). Two pollers on one file would write the same
 * appliance's samples for the same seconds and fight over rollups; the holder renews the row
 * every cycle, and a row past its expiry (or whose process is gone, see src/poller/lease.ts)
 * may be taken over. Claims run in an IMMEDIATE transaction, so of two processes claiming at
 * once exactly one wins.
 */
import type { Db } from './database.js';

export interface PollerHolder {
  /** Random, per process run: a restarted process with the same pid is another holder. */
  holder: string;
  pid: number;
  host: string;
  /** What polls: "fulcrum monitor", "fulcrum serve". */
  command: string;
  /** When this holder took the lease, ms. */
  since: number;
  /** Past this (ms), the lease is free unless renewed. */
  expires: number;
}

export class SqlitePollerLease {
  constructor(private readonly db: Db) {}

  holder(): PollerHolder | null {
    return (this.db.prepare('SELECT holder, pid, host, command, since, expires FROM poller_lease WHERE id = 1').get() as PollerHolder | undefined) ?? null;
  }

  /**
   * Makes `me` the holder unless the current one is still `live`; returns that live holder, or
   * null once `me` holds the lease.
   */
  claim(me: PollerHolder, live: (current: PollerHolder) => boolean): PollerHolder | null {
    return this.db
      .transaction(() => {
        const current = this.holder();
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

  /** Pushes the expiry out; false when `holder` no longer holds the lease (taken over). */
  renew(holder: string, expires: number): boolean {
    return this.db.prepare('UPDATE poller_lease SET expires = ? WHERE id = 1 AND holder = ?').run(Math.floor(expires), holder).changes === 1;
  }

  /** Frees the lease at once, if `holder` still has it. */
  release(holder: string): void {
    this.db.prepare('DELETE FROM poller_lease WHERE id = 1 AND holder = ?').run(holder);
  }
}
