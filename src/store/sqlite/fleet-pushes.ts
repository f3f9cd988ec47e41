/** Fleet pushes on SQLite (tables fleet_pushes, fleet_push_targets): every write of a run checks its lease inside one transaction. */
import type { Db } from '../database.js';
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

const flag = (b: boolean): number => (b ? 1 : 0);

export class SqliteFleetPushStore implements FleetPushStore {
  constructor(private readonly db: Db) {}

  async create(push: NewFleetPush, now = Date.now()): Promise<FleetPushRecord> {
    const at = Math.floor(now);
    const id = this.db.transaction(() => {
      const rowid = this.db
        .prepare(
          `INSERT INTO fleet_pushes (created, updated, state, config_id, rules, canary, confirm_timeout_ms, settle_ms, allow_destructive, actor_id, actor)
           VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          at,
          at,
          push.configId,
          Buffer.from(push.rules),
          push.canary,
          Math.floor(push.confirmTimeoutMs),
          Math.floor(push.settleMs),
          flag(push.allowDestructive),
          push.actor?.id ?? null,
          push.actor?.name ?? null,
        ).lastInsertRowid;
      const insert = this.db.prepare("INSERT INTO fleet_push_targets (push, appliance, position, state, updated) VALUES (?, ?, ?, 'waiting', ?)");
      push.targets.forEach((appliance, i) => insert.run(rowid, appliance, i, at));
      return Number(rowid);
    })();
    return (await this.get(id))!;
  }

  async get(id: number): Promise<FleetPushRecord | null> {
    const row = this.db.prepare(`SELECT ${PUSH_COLUMNS} FROM fleet_pushes WHERE id = ?`).get(id) as FleetPushRow | undefined;
    return row ? fromPushRow(row) : null;
  }

  async list(limit = 100): Promise<FleetPushRecord[]> {
    const rows = this.db.prepare(`SELECT ${PUSH_COLUMNS} FROM fleet_pushes ORDER BY id DESC LIMIT ?`).all(Math.max(0, Math.floor(limit))) as FleetPushRow[];
    return rows.map(fromPushRow);
  }

  async targets(id: number): Promise<FleetTargetRecord[]> {
    const rows = this.db.prepare('SELECT * FROM fleet_push_targets WHERE push = ? ORDER BY position').all(id) as FleetTargetRow[];
    return rows.map(fromTargetRow);
  }

  async rules(id: number): Promise<Uint8Array | null> {
    const row = this.db.prepare('SELECT rules FROM fleet_pushes WHERE id = ?').get(id) as { rules: Buffer } | undefined;
    return row ? new Uint8Array(row.rules) : null;
  }

  async updateTargets(id: number, token: string, changes: readonly FleetTargetChange[], now = Date.now()): Promise<boolean> {
    const at = Math.floor(now);
    return this.db.transaction(() => {
      if (!this.held(id, token, true)) return false;
      for (const change of changes) {
        const sets = targetAssignments(change, flag);
        this.db
          .prepare(`UPDATE fleet_push_targets SET ${[...sets.map(([c]) => `${c} = ?`), 'updated = ?'].join(', ')} WHERE push = ? AND appliance = ?`)
          .run(...sets.map(([, v]) => v), at, id, change.appliance);
      }
      this.db.prepare('UPDATE fleet_pushes SET updated = ? WHERE id = ?').run(at, id);
      return true;
    })();
  }

  async fail(id: number, token: string, failure: FleetPushFailure, now = Date.now()): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.held(id, token, true)) return false;
      this.db.prepare('UPDATE fleet_pushes SET failure = coalesce(failure, ?), updated = ? WHERE id = ?').run(JSON.stringify(failure), Math.floor(now), id);
      return true;
    })();
  }

  async finish(id: number, token: string, state: Exclude<FleetPushState, 'running'>, now = Date.now()): Promise<boolean> {
    const sql = "UPDATE fleet_pushes SET state = ?, updated = ? WHERE id = ? AND state = 'running' AND runner_token = ?";
    return this.db.prepare(sql).run(state, Math.floor(now), id, token).changes === 1;
  }

  async noteAdoption(id: number, token: string, adoption: FleetPushAdoption): Promise<boolean> {
    const sql = "UPDATE fleet_pushes SET adoptions = json_insert(adoptions, '$[#]', json(?)) WHERE id = ? AND runner_token = ?";
    return this.db.prepare(sql).run(JSON.stringify(adoption), id, token).changes === 1;
  }

  /** Whether `token` holds the lease (and, with `running`, the push still runs). */
  private held(id: number, token: string, running: boolean): boolean {
    const sql = `SELECT 1 FROM fleet_pushes WHERE id = ? AND runner_token = ?${running ? " AND state = 'running'" : ''}`;
    return this.db.prepare(sql).get(id, token) !== undefined;
  }

  // ---- the lease ----

  async claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean> {
    const sql = 'UPDATE fleet_pushes SET runner_token = ?, runner_host = ?, runner_pid = ?, heartbeat = ? WHERE id = ? AND runner_token IS ?';
    return this.db.prepare(sql).run(runner.token, runner.host, runner.pid, Math.floor(runner.heartbeat), id, expected).changes === 1;
  }

  async heartbeat(id: number, token: string, now = Date.now()): Promise<boolean> {
    return this.db.prepare('UPDATE fleet_pushes SET heartbeat = ? WHERE id = ? AND runner_token = ?').run(Math.floor(now), id, token).changes === 1;
  }

  async releaseRunner(id: number, token: string): Promise<void> {
    this.db
      .prepare('UPDATE fleet_pushes SET runner_token = NULL, runner_host = NULL, runner_pid = NULL, heartbeat = NULL WHERE id = ? AND runner_token = ?')
      .run(id, token);
  }

  /** One machine: its own clock. */
  async clock(): Promise<number> {
    return Date.now();
  }
}
