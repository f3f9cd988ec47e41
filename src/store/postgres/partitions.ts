/**
 * The day partitions of `sample_raw`: `sample_raw_YYYYMMDD` holds the frames whose `ts` (whole
 * seconds, UTC) falls in that day. Invariant: a frame is written only after its day's
 * partition exists — created on demand, once, under an advisory lock so two agents creating the
 * same day at once do not collide — and retention drops a partition only when its whole day is
 * older than the cut, so a prune never deletes single rows of the raw table.
 */
import type { PgDb } from './connection.js';

const DAY = 86_400;
/** pg_advisory_xact_lock key of partition DDL ("fulcrumD"). */
const DDL_LOCK = 0x66756c6372756d44n;
const NAME = /^sample_raw_(\d{4})(\d{2})(\d{2})$/;

/** The day (its first second) holding second `ts`. */
export const dayOf = (ts: number): number => Math.floor(ts / DAY) * DAY;

export function partitionName(day: number): string {
  const d = new Date(day * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `sample_raw_${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

export class RawPartitions {
  /** Days known to have a partition; forgotten when a write finds one gone (another agent pruned it). */
  private readonly known = new Set<number>();

  constructor(private readonly db: PgDb) {}

  /** Creates the partitions of the days of `seconds` that do not exist yet. */
  async ensure(seconds: Iterable<number>): Promise<void> {
    const days = [...new Set([...seconds].map(dayOf))].filter((d) => !this.known.has(d));
    if (days.length === 0) return;
    await this.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK.toString()]);
      for (const day of days) {
        await client.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF sample_raw FOR VALUES FROM (${day}) TO (${day + DAY})`);
      }
    });
    for (const day of days) this.known.add(day);
  }

  forget(): void {
    this.known.clear();
  }

  /** Drops the partitions whose whole day is before `cut` (seconds): how many frames they held. */
  async dropBefore(cut: number): Promise<number> {
    return this.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK.toString()]);
      const children = await client.query<{ name: string }>(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sample_raw'::regclass",
      );
      let frames = 0;
      for (const { name } of children.rows) {
        const m = NAME.exec(name);
        if (!m) continue;
        const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000;
        if (day + DAY > cut) continue;
        frames += (await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]!.n;
        await client.query(`DROP TABLE ${name}`);
        this.known.delete(day);
      }
      return frames;
    });
  }
}
