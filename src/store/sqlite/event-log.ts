/** The event log in the agent's SQLite file: one row per event, JSON detail. */

import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
import { preparedOnce, type Prepare } from './prepared.js';
import { eventRow, MAX_EVENT_LIMIT, type EventInput, type EventLog, type EventQuery, type StoredEvent } from '../event-log.js';

export class SqliteEventLog implements EventLog {
  private readonly insert: Statement<[number, string, string, string]>;
  private readonly deleteBefore: Statement<[number]>;
  /** The query's text has at most 2^5 × 2 × 2 forms (filters, order, paging): the limit is bound, not written in. */
  private readonly sql: Prepare;

  constructor(db: Db) {
    this.sql = preparedOnce(db);
    this.insert = db.prepare('INSERT INTO events (ts, appliance, kind, detail) VALUES (?, ?, ?, ?)');
    this.deleteBefore = db.prepare('DELETE FROM events WHERE ts < ?');
  }

  async append(event: EventInput): Promise<number> {
    return this.appendNow(event);
  }

  /** append() inside a transaction of this file (another store's write and its event land together). */
  appendNow(event: EventInput): number {
    const row = eventRow(event);
    return Number(this.insert.run(row.ts, row.appliance, row.kind, row.detail).lastInsertRowid);
  }

  async query(query: EventQuery = {}): Promise<StoredEvent[]> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const filter = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    filter('appliance = ?', query.appliance);
    filter('kind = ?', query.kind);
    filter('ts >= ?', query.from);
    filter('ts <= ?', query.to);
    filter('id > ?', query.afterId);
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const limit = Math.max(0, Math.min(Math.floor(query.limit ?? 1000), MAX_EVENT_LIMIT));
    // Paging by id goes in id order: by time, a page's last id is not its highest, and the next
    // page (after that id) would repeat some events and skip others appended late with early times.
    const by = query.afterId === undefined ? `ts ${order}, id ${order}` : `id ${order}`;
    const text = `SELECT id, ts, appliance, kind, detail FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${by} LIMIT ?`;
    const rows = this.sql(text).all(...args, limit) as Array<Omit<StoredEvent, 'detail'> & { detail: string }>;
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
  }

  /** The id of the last event appended (0: none): not the newest by time, since an event may be appended late with an earlier time. */
  async lastId(): Promise<number> {
    return (this.sql('SELECT MAX(id) AS id FROM events').get() as { id: number | null }).id ?? 0;
  }

  async prune(before: number): Promise<number> {
    return this.deleteBefore.run(Math.floor(before)).changes;
  }
}
