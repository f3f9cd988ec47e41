/**
 * The rows of `fleet_pushes` and `fleet_push_targets` as both engines return them, and back:
 * one mapping, so the SQLite file and the server hold and give the same records. Flags come as
 * 0/1 from SQLite and as booleans from PostgreSQL; blobs as Buffers from both.
 */
import type { FleetPushRecord, FleetPushState, FleetTargetChange, FleetTargetRecord, FleetTargetState } from './fleet-pushes.js';

export interface FleetPushRow {
  id: number;
  created: number;
  updated: number;
  state: string;
  config_id: string;
  canary: number;
  confirm_timeout_ms: number;
  settle_ms: number;
  allow_destructive: number | boolean;
  actor_id: number | null;
  actor: string | null;
  failure: string | null;
  adoptions: string;
  runner_token: string | null;
  runner_host: string | null;
  runner_pid: number | null;
  heartbeat: number | null;
}

/** Every column but the rule table, which only a run needs. */
export const PUSH_COLUMNS =
  'id, created, updated, state, config_id, canary, confirm_timeout_ms, settle_ms, allow_destructive, actor_id, actor, failure, adoptions, runner_token, runner_host, runner_pid, heartbeat';

export const fromPushRow = (r: FleetPushRow): FleetPushRecord => ({
  id: r.id,
  created: r.created,
  updated: r.updated,
  state: r.state as FleetPushState,
  configId: r.config_id,
  canary: r.canary,
  confirmTimeoutMs: r.confirm_timeout_ms,
  settleMs: r.settle_ms,
  allowDestructive: Boolean(r.allow_destructive),
  actor: r.actor === null ? null : { id: r.actor_id, name: r.actor },
  failure: r.failure === null ? null : (JSON.parse(r.failure) as FleetPushRecord['failure']),
  runner: r.runner_token === null ? null : { token: r.runner_token, host: r.runner_host ?? '', pid: r.runner_pid ?? 0, heartbeat: r.heartbeat ?? 0 },
  adoptions: JSON.parse(r.adoptions) as FleetPushRecord['adoptions'],
});

export interface FleetTargetRow {
  appliance: string;
  position: number;
  canary: number | boolean;
  state: string;
  config_before: string | null;
  config_after: string | null;
  error: string | null;
  sent: number | boolean;
  baseline_start: Uint8Array | null;
  baseline_end: Uint8Array | null;
  baseline_seconds: number | null;
  updated: number;
}

export const fromTargetRow = (r: FleetTargetRow): FleetTargetRecord => ({
  appliance: r.appliance,
  position: r.position,
  canary: Boolean(r.canary),
  state: r.state as FleetTargetState,
  before: r.config_before,
  after: r.config_after,
  error: r.error,
  sent: Boolean(r.sent),
  baseline:
    r.baseline_start === null || r.baseline_end === null
      ? null
      : { start: new Uint8Array(r.baseline_start), end: new Uint8Array(r.baseline_end), seconds: r.baseline_seconds ?? 0 },
  updated: r.updated,
});

/** A change as (column, value) pairs, in a fixed order; `flag` turns booleans into what the engine stores. */
export function targetAssignments(change: FleetTargetChange, flag: (b: boolean) => unknown): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  if (change.state !== undefined) out.push(['state', change.state]);
  if (change.canary !== undefined) out.push(['canary', flag(change.canary)]);
  if (change.before !== undefined) out.push(['config_before', change.before]);
  if (change.after !== undefined) out.push(['config_after', change.after]);
  if (change.error !== undefined) out.push(['error', change.error]);
  if (change.sent !== undefined) out.push(['sent', flag(change.sent)]);
  if (change.baseline !== undefined) {
    const b = change.baseline;
    out.push(['baseline_start', b ? Buffer.from(b.start) : null], ['baseline_end', b ? Buffer.from(b.end) : null], ['baseline_seconds', b ? b.seconds : null]);
  }
  return out;
}
