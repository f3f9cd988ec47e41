/** The audit log on SQLite (table audit), append-only. */
import type { Db } from '../database.js';
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

export class SqliteAuditLog implements AuditLog {
  constructor(private readonly db: Db) {}

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
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO audit (ts, actor_id, actor, via, action, appliance, status, outcome, config_before, config_after, detail)
           VALUES (@ts, @actor_id, @actor, @via, @action, @appliance, @status, @outcome, @config_before, @config_after, @detail)`,
        )
        .run(row).lastInsertRowid,
    );
    return fromRow({ id, ...row });
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), MAX_AUDIT_LIMIT);
    const where: string[] = [];
    const args: Record<string, unknown> = { limit };
    if (query.from !== undefined) {
      where.push('ts >= @from');
      args.from = Math.floor(query.from);
    }
    if (query.appliance !== undefined) {
      where.push('appliance = @appliance');
      args.appliance = query.appliance;
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(args) as Row[]).map(fromRow);
  }
}
