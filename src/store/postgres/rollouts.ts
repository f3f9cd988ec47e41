/**
 * Rollouts on PostgreSQL (tables `rollouts`, `rollout_devices`), behaving as SqliteRolloutStore
 * does. The writes that race with another agent are conditional, and those that check the
 * lease first lock the rollout's row (FOR UPDATE) for the rest of their transaction, so a pause,
 * an abort or a takeover committed elsewhere is either seen or waits: never overwritten.
 */
import type { PgDb } from './connection.js';
import type { DeviceOutcome, DeviceState, NewRollout, RolloutDeviceRecord, RolloutRecord, RolloutState, RolloutStore, RunnerRecord } from '../rollouts.js';

interface RolloutRow {
  id: number;
  image: string;
  version: string;
  created: number;
  updated: number;
  state: string;
  reason: string | null;
  waves: string;
  max_failures: string;
  allowed_failures: number;
  deadline_ms: number;
  runner_token: string | null;
  runner_host: string | null;
  runner_pid: number | null;
  heartbeat: number | null;
}

const fromRolloutRow = (r: RolloutRow): RolloutRecord => ({
  id: r.id,
  image: r.image,
  version: r.version,
  created: r.created,
  updated: r.updated,
  state: r.state as RolloutState,
  reason: r.reason,
  waves: JSON.parse(r.waves) as Array<number | string>,
  maxFailures: r.max_failures,
  allowedFailures: r.allowed_failures,
  deadlineMs: r.deadline_ms,
  runner: r.runner_token === null ? null : { token: r.runner_token, host: r.runner_host ?? '', pid: r.runner_pid ?? 0, heartbeat: r.heartbeat ?? 0 },
});

interface DeviceRow {
  appliance: string;
  position: number;
  wave: number;
  state: string;
  started: number | null;
  finished: number | null;
  error: string | null;
  version: string | null;
}

const fromDeviceRow = (r: DeviceRow): RolloutDeviceRecord => ({ ...r, state: r.state as DeviceState });

export class PgRolloutStore implements RolloutStore {
  constructor(private readonly db: PgDb) {}

  async create(rollout: NewRollout, now = Date.now()): Promise<RolloutRecord> {
    const at = Math.floor(now);
    const id = await this.db.transaction(async (client) => {
      const inserted = await client.query<{ id: number }>(
        `INSERT INTO rollouts (image, version, created, updated, state, waves, max_failures, allowed_failures, deadline_ms)
         VALUES ($1, $2, $3, $3, 'running', $4, $5, $6, $7) RETURNING id`,
        [rollout.image, rollout.version, at, JSON.stringify(rollout.waves), rollout.maxFailures, rollout.allowedFailures, Math.floor(rollout.deadlineMs)],
      );
      const rowid = inserted.rows[0]!.id;
      // One statement for all devices: the position is the index in the order given.
      await client.query(
        `INSERT INTO rollout_devices (rollout, appliance, position, wave, state)
         SELECT $1, d.appliance, d.ord - 1, d.wave, 'pending' FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS d(appliance, wave, ord)`,
        [rowid, rollout.devices.map((d) => d.appliance), rollout.devices.map((d) => d.wave)],
      );
      return rowid;
    });
    return (await this.get(id))!;
  }

  async get(id: number): Promise<RolloutRecord | null> {
    const row = (await this.db.query<RolloutRow>('SELECT * FROM rollouts WHERE id = $1', [id])).rows[0];
    return row ? fromRolloutRow(row) : null;
  }

  async latest(): Promise<RolloutRecord | null> {
    const row = (await this.db.query<RolloutRow>('SELECT * FROM rollouts ORDER BY id DESC LIMIT 1')).rows[0];
    return row ? fromRolloutRow(row) : null;
  }

  /** Newest first. */
  async list(limit = 100): Promise<RolloutRecord[]> {
    return (await this.db.query<RolloutRow>('SELECT * FROM rollouts ORDER BY id DESC LIMIT $1', [Math.max(0, Math.floor(limit))])).rows.map(fromRolloutRow);
  }

  /** By wave, then in the order the targets were given. */
  async devices(id: number): Promise<RolloutDeviceRecord[]> {
    const sql = 'SELECT appliance, position, wave, state, started, finished, error, version FROM rollout_devices WHERE rollout = $1 ORDER BY wave, position';
    return (await this.db.query<DeviceRow>(sql, [id])).rows.map(fromDeviceRow);
  }

  async countByState(id: number): Promise<Record<DeviceState, number>> {
    const counts: Record<DeviceState, number> = { pending: 0, upgrading: 0, succeeded: 0, failed: 0 };
    const rows = (
      await this.db.query<{ state: DeviceState; n: number }>('SELECT state, count(*) AS n FROM rollout_devices WHERE rollout = $1 GROUP BY state', [id])
    ).rows;
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  async setState(id: number, to: RolloutState, from: readonly RolloutState[], reason: string | null, now = Date.now()): Promise<boolean> {
    if (from.length === 0) return false;
    const sql = 'UPDATE rollouts SET state = $1, reason = $2, updated = $3 WHERE id = $4 AND state = ANY($5::text[])';
    return (await this.db.query(sql, [to, reason, Math.floor(now), id, [...from]])).rowCount === 1;
  }

  async startDevice(id: number, appliance: string, token: string, now = Date.now()): Promise<boolean> {
    const at = Math.floor(now);
    return this.db.transaction(async (client) => {
      const held = await client.query("SELECT 1 FROM rollouts WHERE id = $1 AND state = 'running' AND runner_token = $2 FOR UPDATE", [id, token]);
      if (held.rowCount === 0) return false;
      const changed = await client.query(
        `UPDATE rollout_devices SET state = 'upgrading', started = $1, finished = NULL, error = NULL, version = NULL
         WHERE rollout = $2 AND appliance = $3 AND state IN ('pending', 'upgrading')`,
        [at, id, appliance],
      );
      if (changed.rowCount === 1) await client.query('UPDATE rollouts SET updated = $1 WHERE id = $2', [at, id]);
      return changed.rowCount === 1;
    });
  }

  async finishDevice(id: number, appliance: string, outcome: DeviceOutcome, token: string, now = Date.now()): Promise<boolean> {
    const at = Math.floor(now);
    return this.db.transaction(async (client) => {
      const held = await client.query('SELECT 1 FROM rollouts WHERE id = $1 AND runner_token = $2 FOR UPDATE', [id, token]);
      if (held.rowCount === 0) return false;
      const error = outcome.state === 'failed' ? outcome.error : null;
      const changed = await client.query(
        "UPDATE rollout_devices SET state = $1, finished = $2, error = $3, version = $4 WHERE rollout = $5 AND appliance = $6 AND state = 'upgrading'",
        [outcome.state, at, error, outcome.version ?? null, id, appliance],
      );
      if (changed.rowCount === 1) await client.query('UPDATE rollouts SET updated = $1 WHERE id = $2', [at, id]);
      return changed.rowCount === 1;
    });
  }

  async resumeHalted(id: number, now = Date.now()): Promise<string[] | null> {
    const at = Math.floor(now);
    return this.db.transaction(async (client) => {
      const resumed = await client.query("UPDATE rollouts SET state = 'running', reason = NULL, updated = $1 WHERE id = $2 AND state = 'halted'", [at, id]);
      if (resumed.rowCount !== 1) return null;
      const failed = await client.query<{ appliance: string }>(
        "SELECT appliance FROM rollout_devices WHERE rollout = $1 AND state = 'failed' ORDER BY wave, position",
        [id],
      );
      await client.query(
        "UPDATE rollout_devices SET state = 'pending', started = NULL, finished = NULL, error = NULL, version = NULL WHERE rollout = $1 AND state = 'failed'",
        [id],
      );
      return failed.rows.map((r) => r.appliance);
    });
  }

  /** One array parameter, whatever the count: PostgreSQL has no per-statement parameter limit to slice around. */
  async unfinishedRolloutsOf(appliances: readonly string[]): Promise<Array<{ appliance: string; rollout: number; state: RolloutState }>> {
    if (appliances.length === 0) return [];
    const rows = await this.db.query<{ appliance: string; rollout: number; state: string }>(
      `SELECT d.appliance AS appliance, r.id AS rollout, r.state AS state FROM rollout_devices d JOIN rollouts r ON r.id = d.rollout
       WHERE r.state IN ('running', 'paused', 'halted') AND d.appliance = ANY($1::text[]) ORDER BY r.id, d.position`,
      [[...appliances]],
    );
    return rows.rows.map((r) => ({ ...r, state: r.state as RolloutState }));
  }

  // ---- the lease ----

  async claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean> {
    const result = await this.db.query(
      // The heartbeat is the server's time, whatever the runner's clock says: runners on several machines are compared on one clock.
      'UPDATE rollouts SET runner_token = $1, runner_host = $2, runner_pid = $3, heartbeat = (extract(epoch FROM now()) * 1000)::bigint WHERE id = $4 AND runner_token IS NOT DISTINCT FROM $5',
      [runner.token, runner.host, runner.pid, id, expected],
    );
    return result.rowCount === 1;
  }

  async heartbeat(id: number, token: string): Promise<boolean> {
    return (
      (await this.db.query('UPDATE rollouts SET heartbeat = (extract(epoch FROM now()) * 1000)::bigint WHERE id = $1 AND runner_token = $2', [id, token]))
        .rowCount === 1
    );
  }

  /** The server's clock: what runner heartbeats are written in and compared against. */
  async clock(): Promise<number> {
    return (await this.db.query<{ now: number }>('SELECT (extract(epoch FROM now()) * 1000)::bigint AS now')).rows[0]!.now;
  }

  async releaseRunner(id: number, token: string): Promise<void> {
    await this.db.query(
      'UPDATE rollouts SET runner_token = NULL, runner_host = NULL, runner_pid = NULL, heartbeat = NULL WHERE id = $1 AND runner_token = $2',
      [id, token],
    );
  }
}
