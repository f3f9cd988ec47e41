/** Rollouts on SQLite (tables rollouts, rollout_devices): the racing writes are conditional UPDATEs inside one transaction. */
import type { Db } from '../database.js';
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

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export class SqliteRolloutStore implements RolloutStore {
  constructor(private readonly db: Db) {}

  async create(rollout: NewRollout, now = Date.now()): Promise<RolloutRecord> {
    const at = Math.floor(now);
    const id = this.db.transaction(() => {
      const rowid = this.db
        .prepare(
          `INSERT INTO rollouts (image, version, created, updated, state, waves, max_failures, allowed_failures, deadline_ms)
           VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
        )
        .run(
          rollout.image,
          rollout.version,
          at,
          at,
          JSON.stringify(rollout.waves),
          rollout.maxFailures,
          rollout.allowedFailures,
          Math.floor(rollout.deadlineMs),
        ).lastInsertRowid;
      const insert = this.db.prepare("INSERT INTO rollout_devices (rollout, appliance, position, wave, state) VALUES (?, ?, ?, ?, 'pending')");
      rollout.devices.forEach((d, i) => insert.run(rowid, d.appliance, i, d.wave));
      return Number(rowid);
    })();
    return (await this.get(id))!;
  }

  async get(id: number): Promise<RolloutRecord | null> {
    const row = this.db.prepare('SELECT * FROM rollouts WHERE id = ?').get(id) as RolloutRow | undefined;
    return row ? fromRolloutRow(row) : null;
  }

  async latest(): Promise<RolloutRecord | null> {
    const row = this.db.prepare('SELECT * FROM rollouts ORDER BY id DESC LIMIT 1').get() as RolloutRow | undefined;
    return row ? fromRolloutRow(row) : null;
  }

  async list(limit = 100): Promise<RolloutRecord[]> {
    return (this.db.prepare('SELECT * FROM rollouts ORDER BY id DESC LIMIT ?').all(Math.max(0, Math.floor(limit))) as RolloutRow[]).map(fromRolloutRow);
  }

  async devices(id: number): Promise<RolloutDeviceRecord[]> {
    return (
      this.db
        .prepare('SELECT appliance, position, wave, state, started, finished, error, version FROM rollout_devices WHERE rollout = ? ORDER BY wave, position')
        .all(id) as DeviceRow[]
    ).map(fromDeviceRow);
  }

  async countByState(id: number): Promise<Record<DeviceState, number>> {
    const counts: Record<DeviceState, number> = { pending: 0, upgrading: 0, succeeded: 0, failed: 0 };
    const rows = this.db.prepare('SELECT state, count(*) AS n FROM rollout_devices WHERE rollout = ? GROUP BY state').all(id) as Array<{
      state: DeviceState;
      n: number;
    }>;
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  async setState(id: number, to: RolloutState, from: readonly RolloutState[], reason: string | null, now = Date.now()): Promise<boolean> {
    if (from.length === 0) return false;
    const sql = `UPDATE rollouts SET state = ?, reason = ?, updated = ? WHERE id = ? AND state IN (${placeholders(from.length)})`;
    return this.db.prepare(sql).run(to, reason, Math.floor(now), id, ...from).changes === 1;
  }

  async startDevice(id: number, appliance: string, token: string, now = Date.now()): Promise<boolean> {
    const at = Math.floor(now);
    return this.db.transaction(() => {
      const held = this.db.prepare("SELECT 1 FROM rollouts WHERE id = ? AND state = 'running' AND runner_token = ?").get(id, token);
      if (!held) return false;
      const changed = this.db
        .prepare(
          "UPDATE rollout_devices SET state = 'upgrading', started = ?, finished = NULL, error = NULL, version = NULL WHERE rollout = ? AND appliance = ? AND state IN ('pending', 'upgrading')",
        )
        .run(at, id, appliance).changes;
      if (changed === 1) this.db.prepare('UPDATE rollouts SET updated = ? WHERE id = ?').run(at, id);
      return changed === 1;
    })();
  }

  async finishDevice(id: number, appliance: string, outcome: DeviceOutcome, token: string, now = Date.now()): Promise<boolean> {
    const at = Math.floor(now);
    return this.db.transaction(() => {
      const held = this.db.prepare('SELECT 1 FROM rollouts WHERE id = ? AND runner_token = ?').get(id, token);
      if (!held) return false;
      const error = outcome.state === 'failed' ? outcome.error : null;
      const version = outcome.version ?? null;
      const changed = this.db
        .prepare("UPDATE rollout_devices SET state = ?, finished = ?, error = ?, version = ? WHERE rollout = ? AND appliance = ? AND state = 'upgrading'")
        .run(outcome.state, at, error, version, id, appliance).changes;
      if (changed === 1) this.db.prepare('UPDATE rollouts SET updated = ? WHERE id = ?').run(at, id);
      return changed === 1;
    })();
  }

  async resumeHalted(id: number, now = Date.now()): Promise<string[] | null> {
    const at = Math.floor(now);
    return this.db.transaction(() => {
      if (this.db.prepare("UPDATE rollouts SET state = 'running', reason = NULL, updated = ? WHERE id = ? AND state = 'halted'").run(at, id).changes !== 1)
        return null;
      const failed = (
        this.db.prepare("SELECT appliance FROM rollout_devices WHERE rollout = ? AND state = 'failed' ORDER BY wave, position").all(id) as Array<{
          appliance: string;
        }>
      ).map((r) => r.appliance);
      this.db
        .prepare(
          "UPDATE rollout_devices SET state = 'pending', started = NULL, finished = NULL, error = NULL, version = NULL WHERE rollout = ? AND state = 'failed'",
        )
        .run(id);
      return failed;
    })();
  }

  async unfinishedRolloutsOf(appliances: readonly string[]): Promise<Array<{ appliance: string; rollout: number; state: RolloutState }>> {
    if (appliances.length === 0) return [];
    const out: Array<{ appliance: string; rollout: number; state: RolloutState }> = [];
    // SQLite limits bound parameters per statement (32766 by default): ask in slices.
    for (let i = 0; i < appliances.length; i += 500) {
      const slice = appliances.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT d.appliance AS appliance, r.id AS rollout, r.state AS state FROM rollout_devices d JOIN rollouts r ON r.id = d.rollout
           WHERE r.state IN ('running', 'paused', 'halted') AND d.appliance IN (${placeholders(slice.length)}) ORDER BY r.id, d.position`,
        )
        .all(...slice) as Array<{ appliance: string; rollout: number; state: string }>;
      out.push(...rows.map((r) => ({ ...r, state: r.state as RolloutState })));
    }
    return out;
  }

  // ---- the lease ----

  async claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE rollouts SET runner_token = ?, runner_host = ?, runner_pid = ?, heartbeat = ? WHERE id = ? AND runner_token IS ?')
        .run(runner.token, runner.host, runner.pid, Math.floor(runner.heartbeat), id, expected).changes === 1
    );
  }

  async heartbeat(id: number, token: string, now = Date.now()): Promise<boolean> {
    return this.db.prepare('UPDATE rollouts SET heartbeat = ? WHERE id = ? AND runner_token = ?').run(Math.floor(now), id, token).changes === 1;
  }

  /** One machine: its own clock. */
  async clock(): Promise<number> {
    return Date.now();
  }

  async releaseRunner(id: number, token: string): Promise<void> {
    this.db
      .prepare('UPDATE rollouts SET runner_token = NULL, runner_host = NULL, runner_pid = NULL, heartbeat = NULL WHERE id = ? AND runner_token = ?')
      .run(id, token);
  }
}
