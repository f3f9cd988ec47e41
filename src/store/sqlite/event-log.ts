/** The event log in the agent's SQLite file: one row per event, JSON detail. */

import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
import type { EventInput, EventLog, EventQuery, StoredEvent } from '../event-log.js';

const jsonSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);
const MAX_LIMIT = 100_000;

export class SqliteEventLog implements EventLog {
  private readonly insert: Statement<[number, string, string, string]>;
  private readonly deleteBefore: Statement<[number]>;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO events (ts, appliance, kind, detail) VALUES (?, ?, ?, ?)');
    this.deleteBefore = db.prepare('DELETE FROM events WHERE ts < ?');
  }

  append(event: EventInput): number {
    if (!Number.isFinite(event.ts)) throw new RangeError(`event time ${event.ts} is not a time in ms`);
    for (const [field, value] of [
      ['appliance', event.appliance],
      ['kind', event.kind],
    ] as const) {
      if (typeof value !== 'string' || value === '') throw new TypeError(`event ${field} must be a non-empty string`);
    }
    const detail = JSON.stringify(event.detail ?? null, jsonSafe);
    return Number(this.insert.run(Math.floor(event.ts), event.appliance, event.kind, detail).lastInsertRowid);
  }

  query(query: EventQuery = {}): StoredEvent[] {
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
    const limit = Math.max(0, Math.min(Math.floor(query.limit ?? 1000), MAX_LIMIT));
    const text = `SELECT id, ts, appliance, kind, detail FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts ${order}, id ${order} LIMIT ${limit}`;
    const rows = this.db.prepare<Array<string | number>, Omit<StoredEvent, 'detail'> & { detail: string }>(text).all(...args);
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
  }

  /** The id of the last event appended (0: none): not the newest by time, since an event may be appended late with an earlier time. */
  lastId(): number {
    return (this.db.prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null }).id ?? 0;
  }

  prune(before: number): number {
    return this.deleteBefore.run(Math.floor(before)).changes;
  }
}
