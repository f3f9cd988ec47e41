/** The audit log on PostgreSQL (table `audit`), append-only, listed as SqliteAuditLog lists it: newest first, the same limits. */
import type { PgDb } from './connection.js';
import { MAX_AUDIT_LIMIT, type AuditEntry, type AuditInput, type AuditLog, type AuditOutcome, type AuditQuery, type AuditVia } from '../audit.js';

interface Row {
  id: number;
  ts: number;
  actor_id: number | null;
  actor: string;
  via: string;
  action: string;
  appliance: string | null;
  status: number;
  outcome: string;
  config_before: string | null;
  config_after: string | null;
  detail: string;
}

const fromRow = (r: Row): AuditEntry => ({
  id: r.id,
  ts: r.ts,
  actor: { id: r.actor_id, name: r.actor },
  via: r.via as AuditVia,
  action: r.action,
  appliance: r.appliance,
  status: r.status,
  outcome: r.outcome as AuditOutcome,
  configBefore: r.config_before,
  configAfter: r.config_after,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});

export class PgAuditLog implements AuditLog {
  constructor(private readonly db: PgDb) {}

  async append(entry: AuditInput): Promise<AuditEntry> {
    const row = {
      ts: Math.floor(entry.ts),
      actor_id: entry.actor.id,
      actor: entry.actor.name,
      via: entry.via ?? 'api',
      action: entry.action,
      appliance: entry.appliance ?? null,
      status: entry.status,
      outcome: entry.outcome,
      config_before: entry.configBefore ?? null,
      config_after: entry.configAfter ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    };
    const result = await this.db.query<{ id: number }>(
      `INSERT INTO audit (ts, actor_id, actor, via, action, appliance, status, outcome, config_before, config_after, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [row.ts, row.actor_id, row.actor, row.via, row.action, row.appliance, row.status, row.outcome, row.config_before, row.config_after, row.detail],
    );
    return fromRow({ id: result.rows[0]!.id, ...row });
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), MAX_AUDIT_LIMIT);
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.from !== undefined) {
      args.push(Math.floor(query.from));
      where.push(`ts >= $${args.length}`);
    }
    if (query.appliance !== undefined) {
      args.push(query.appliance);
      where.push(`appliance = $${args.length}`);
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ${limit}`;
    return (await this.db.query<Row>(sql, args)).rows.map(fromRow);
  }
}
