/**
 * The event log on PostgreSQL (table `events`), behaving as SqliteEventLog does: ids increase
 * in the order events are appended (an identity column), the same checks (eventRow),
 * limits and order.
 */
import { eventRow, MAX_EVENT_LIMIT, type EventInput, type EventLog, type EventQuery, type StoredEvent } from '../event-log.js';
import pg from 'pg';
import { checkFence } from './fence.js';
import type { Fence } from '../ownership.js';
import type { PgClient, PgDb } from './connection.js';

/** Appends `event` through `client` (a transaction of another store's change): its id. */
export async function appendEvent(client: PgClient, event: EventInput): Promise<number> {
  const row = eventRow(event);
  const result = await client.query<{ id: number }>('INSERT INTO events (ts, appliance, kind, detail) VALUES ($1, $2, $3, $4) RETURNING id', [
    row.ts,
    row.appliance,
    row.kind,
    row.detail,
  ]);
  // A hint to every server following the log (delivered at commit, so never before the row is
  // visible); they catch up by id whether or not it arrives.
  await client.query(`NOTIFY ${EVENTS_CHANNEL}`);
  return result.rows[0]!.id;
}

/** The channel appends are announced on. */
export const EVENTS_CHANNEL = 'fulcrum_events';

export class PgEventLog implements EventLog {
  constructor(
    private readonly db: PgDb,
    /** The server's URL, for the one connection that LISTENs (pooled connections cannot). */
    private readonly url: string | null = null,
  ) {}

  /**
   * Calls `onHint` soon after any agent appends an event (LISTEN/NOTIFY). Only a hint: a lost
   * connection is opened again after a pause, and whoever follows reads by id anyway.
   */
  async hints(onHint: () => void): Promise<{ close(): Promise<void> }> {
    const url = this.url;
    if (url === null) return { close: async () => undefined };
    let client: pg.Client | null = null;
    let closed = false;
    let retry: NodeJS.Timeout | null = null;
    const open = async (): Promise<void> => {
      if (closed) return;
      const c = new pg.Client({ connectionString: url });
      c.on('notification', () => onHint());
      c.on('error', () => {
        client = null;
        void c.end().catch(() => undefined);
        if (!closed) retry = setTimeout(() => void open(), 1_000).unref();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${EVENTS_CHANNEL}`);
        client = c;
        // What was appended while no one listened is news too.
        onHint();
      } catch {
        await c.end().catch(() => undefined);
        if (!closed) retry = setTimeout(() => void open(), 1_000).unref();
      }
    };
    await open();
    return {
      close: async () => {
        closed = true;
        if (retry) clearTimeout(retry);
        await (client as pg.Client | null)?.end().catch(() => undefined);
      },
    };
  }

  async append(event: EventInput, fence?: Fence): Promise<number> {
    if (!fence) return appendEvent(this.db, event);
    return this.db.transaction(async (client) => {
      await checkFence(client, event.appliance, fence);
      return appendEvent(client, event);
    });
  }

  async query(query: EventQuery = {}): Promise<StoredEvent[]> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const filter = (column: string, op: string, value: string | number | undefined) => {
      if (value === undefined) return;
      args.push(value);
      where.push(`${column} ${op} $${args.length}`);
    };
    filter('appliance', '=', query.appliance);
    filter('kind', '=', query.kind);
    filter('ts', '>=', query.from === undefined ? undefined : Math.ceil(query.from));
    filter('ts', '<=', query.to === undefined ? undefined : Math.floor(query.to));
    filter('id', '>', query.afterId === undefined ? undefined : Math.floor(query.afterId));
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const limit = Math.max(0, Math.min(Math.floor(query.limit ?? 1000), MAX_EVENT_LIMIT));
    // Paging by id goes in id order, as on SQLite: by time, a page's last id is not its highest.
    const by = query.afterId === undefined ? `ts ${order}, id ${order}` : `id ${order}`;
    const text = `SELECT id, ts, appliance, kind, detail FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${by} LIMIT ${limit}`;
    const rows = (await this.db.query<Omit<StoredEvent, 'detail'> & { detail: string }>(text, args)).rows;
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
  }

  /** The id of the last event appended (0: none): not the newest by time, since an event may be appended late with an earlier time. */
  async lastId(): Promise<number> {
    return (await this.db.query<{ id: number | null }>('SELECT max(id) AS id FROM events')).rows[0]?.id ?? 0;
  }

  async prune(before: number): Promise<number> {
    return (await this.db.query('DELETE FROM events WHERE ts < $1', [Math.floor(before)])).rowCount ?? 0;
  }
}
