/**
 * Fleet pushes on PostgreSQL (tables `fleet_pushes`, `fleet_push_targets`), behaving as
 * SqliteFleetPushStore does. A run's writes lock the push's row (FOR UPDATE) after checking its
 * lease, so a takeover committed by another agent is either seen or waits: a stale runner's
 * late write is refused, never applied over the adopter's.
 */
import type { PgClient, PgDb } from './connection.js';
import { fromPushRow, fromTargetRow, PUSH_COLUMNS, targetAssignments, type FleetPushRow, type FleetTargetRow } from '../fleet-push-rows.js';
import type {
  FleetPushAdoption,
  FleetPushFailure,
  FleetPushRecord,
  FleetPushState,
  FleetPushStore,
  FleetTargetChange,
  FleetTargetRecord,
  NewFleetPush,
} from '../fleet-pushes.js';
import type { RunnerRecord } from '../runner-lease.js';

/** The server's time in ms: heartbeats of runners on several machines are compared on one clock. */
const NOW_MS = '(extract(epoch FROM now()) * 1000)::bigint';

export class PgFleetPushStore implements FleetPushStore {
  constructor(private readonly db: PgDb) {}

  async create(push: NewFleetPush, now = Date.now()): Promise<FleetPushRecord> {
    const at = Math.floor(now);
    const id = await this.db.transaction(async (client) => {
      const inserted = await client.query<{ id: number }>(
        `INSERT INTO fleet_pushes (created, updated, state, config_id, rules, canary, confirm_timeout_ms, settle_ms, allow_destructive, actor_id, actor)
         VALUES ($1, $1, 'running', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          at,
          push.configId,
          Buffer.from(push.rules),
          push.canary,
          Math.floor(push.confirmTimeoutMs),
          Math.floor(push.settleMs),
          push.allowDestructive,
          push.actor?.id ?? null,
          push.actor?.name ?? null,
        ],
      );
      const rowid = inserted.rows[0]!.id;
      await client.query(
        `INSERT INTO fleet_push_targets (push, appliance, position, state, updated)
         SELECT $1, t.appliance, t.ord - 1, 'waiting', $3 FROM unnest($2::text[]) WITH ORDINALITY AS t(appliance, ord)`,
        [rowid, [...push.targets], at],
      );
      return rowid;
    });
    return (await this.get(id))!;
  }

  async get(id: number): Promise<FleetPushRecord | null> {
    const row = (await this.db.query<FleetPushRow>(`SELECT ${PUSH_COLUMNS} FROM fleet_pushes WHERE id = $1`, [id])).rows[0];
    return row ? fromPushRow(row) : null;
  }

  async list(limit = 100): Promise<FleetPushRecord[]> {
    const rows = await this.db.query<FleetPushRow>(`SELECT ${PUSH_COLUMNS} FROM fleet_pushes ORDER BY id DESC LIMIT $1`, [Math.max(0, Math.floor(limit))]);
    return rows.rows.map(fromPushRow);
  }

  async targets(id: number): Promise<FleetTargetRecord[]> {
    return (await this.db.query<FleetTargetRow>('SELECT * FROM fleet_push_targets WHERE push = $1 ORDER BY position', [id])).rows.map(fromTargetRow);
  }

  async rules(id: number): Promise<Uint8Array | null> {
    const row = (await this.db.query<{ rules: Buffer }>('SELECT rules FROM fleet_pushes WHERE id = $1', [id])).rows[0];
    return row ? new Uint8Array(row.rules) : null;
  }

  async updateTargets(id: number, token: string, changes: readonly FleetTargetChange[], now = Date.now()): Promise<boolean> {
    const at = Math.floor(now);
    return this.db.transaction(async (client) => {
      if (!(await held(client, id, token))) return false;
      for (const change of changes) {
        const sets = targetAssignments(change, (b) => b);
        const assignments = [...sets.map(([c], i) => `${c} = $${i + 1}`), `updated = $${sets.length + 1}`].join(', ');
        await client.query(`UPDATE fleet_push_targets SET ${assignments} WHERE push = $${sets.length + 2} AND appliance = $${sets.length + 3}`, [
          ...sets.map(([, v]) => v),
          at,
          id,
          change.appliance,
        ]);
      }
      await client.query('UPDATE fleet_pushes SET updated = $1 WHERE id = $2', [at, id]);
      return true;
    });
  }

  async fail(id: number, token: string, failure: FleetPushFailure, now = Date.now()): Promise<boolean> {
    return this.db.transaction(async (client) => {
      if (!(await held(client, id, token))) return false;
      await client.query('UPDATE fleet_pushes SET failure = coalesce(failure, $1), updated = $2 WHERE id = $3', [JSON.stringify(failure), Math.floor(now), id]);
      return true;
    });
  }

  async finish(id: number, token: string, state: Exclude<FleetPushState, 'running'>, now = Date.now()): Promise<boolean> {
    const sql = "UPDATE fleet_pushes SET state = $1, updated = $2 WHERE id = $3 AND state = 'running' AND runner_token = $4";
    return (await this.db.query(sql, [state, Math.floor(now), id, token])).rowCount === 1;
  }

  async noteAdoption(id: number, token: string, adoption: FleetPushAdoption): Promise<boolean> {
    const sql = 'UPDATE fleet_pushes SET adoptions = (adoptions::jsonb || jsonb_build_array($1::jsonb))::text WHERE id = $2 AND runner_token = $3';
    return (await this.db.query(sql, [JSON.stringify(adoption), id, token])).rowCount === 1;
  }

  // ---- the lease ----

  async claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE fleet_pushes SET runner_token = $1, runner_host = $2, runner_pid = $3, heartbeat = ${NOW_MS} WHERE id = $4 AND runner_token IS NOT DISTINCT FROM $5`,
      [runner.token, runner.host, runner.pid, id, expected],
    );
    return result.rowCount === 1;
  }

  async heartbeat(id: number, token: string): Promise<boolean> {
    return (await this.db.query(`UPDATE fleet_pushes SET heartbeat = ${NOW_MS} WHERE id = $1 AND runner_token = $2`, [id, token])).rowCount === 1;
  }

  async releaseRunner(id: number, token: string): Promise<void> {
    await this.db.query(
      'UPDATE fleet_pushes SET runner_token = NULL, runner_host = NULL, runner_pid = NULL, heartbeat = NULL WHERE id = $1 AND runner_token = $2',
      [id, token],
    );
  }

  async clock(): Promise<number> {
    return (await this.db.query<{ now: number }>(`SELECT ${NOW_MS} AS now`)).rows[0]!.now;
  }
}

/** Whether `token` holds the running push's lease; the row stays locked for the rest of the transaction. */
async function held(client: PgClient, id: number, token: string): Promise<boolean> {
  const found = await client.query("SELECT 1 FROM fleet_pushes WHERE id = $1 AND state = 'running' AND runner_token = $2 FOR UPDATE", [id, token]);
  return found.rowCount === 1;
}
