/**
 * The audit log: who changed what, when, and how it went. Every change made through the API
 * or the CLI (src/cli/audit-cli.ts) lands here, with the config ids before and after for
 * changes of an appliance's rules. Append-only: nothing in the agent edits or deletes entries.
 */
import type { Db } from './database.js';

export type AuditOutcome = 'ok' | 'failed' | 'denied';

/** Where a change came from: an API request, or a command run on the agent's machine. */
export type AuditVia = 'api' | 'cli';

export interface AuditActor {
  /** The API token's id; null for the local CLI. */
  id: number | null;
  /** The token's name, or the OS user@host for changes made with the CLI. */
  name: string;
}

export interface AuditInput {
  /** ms */
  ts: number;
  actor: AuditActor;
  /** Default 'api'. */
  via?: AuditVia;
  /** What was asked, e.g. "POST /api/v1/appliances/:name/rules/push" or "token create". */
  action: string;
  appliance?: string | null;
  /** HTTP status of the answer (0 for changes made outside the API). */
  status: number;
  outcome: AuditOutcome;
  configBefore?: string | null;
  configAfter?: string | null;
  /** Anything else worth keeping (the error message, the steps of a rollback…). */
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  ts: number;
  actor: AuditActor;
  via: AuditVia;
  action: string;
  appliance: string | null;
  status: number;
  outcome: AuditOutcome;
  configBefore: string | null;
  configAfter: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  /** Inclusive, ms. */
  from?: number;
  appliance?: string;
  /** Default 100; at most 10,000. Newest first. */
  limit?: number;
}

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

export const MAX_AUDIT_LIMIT = 10_000;

export class SqliteAuditLog {
  constructor(private readonly db: Db) {}

  append(entry: AuditInput): AuditEntry {
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

  /** Newest first. */
  list(query: AuditQuery = {}): AuditEntry[] {
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
