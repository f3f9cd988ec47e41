/**
 * The audit log: who changed what, when, and how it went. Every change made through the API
 * or the CLI (src/cli/audit-cli.ts) lands here, with the config ids before and after for
 * changes of an appliance's rules. Append-only: nothing in the agent edits or deletes entries.
 */

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

export interface AuditLog {
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Newest first. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** At most this many entries per list. */
export const MAX_AUDIT_LIMIT = 10_000;
