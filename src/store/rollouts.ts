/**
 * Fleet firmware rollouts as the database holds them: one row per rollout, one per appliance in
 * it. Every change a rollout goes through is written here before it happens (a device is
 * `upgrading`, with its start time, before its upgrade begins), so an agent that restarts reads
 * exactly where the last one stopped. The rules — waves, thresholds, leases — live in
 * src/upgrade/rollout/; this module only reads and writes rows, and makes the writes that race
 * with another process conditional, so a state changed elsewhere is never overwritten.
 */
import type { Db } from './database.js';

export const ROLLOUT_STATES = ['running', 'paused', 'halted', 'aborted', 'succeeded'] as const;
/** `running`: to be run (whether or not a process runs it right now, see `runner`). */
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const DEVICE_STATES = ['pending', 'upgrading', 'succeeded', 'failed'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** The process that holds a rollout's lease (src/upgrade/rollout/lease.ts). */
export interface RunnerRecord {
  /** Random, per run: tells two runs in one process apart. */
  token: string;
  host: string;
  pid: number;
  /** ms since the epoch, renewed while the run goes on. */
  heartbeat: number;
}

export interface RolloutRecord {
  id: number;
  /** SHA-256 of the image (its name in the firmware catalog). */
  image: string;
  version: string;
  /** ms since the epoch. */
  created: number;
  updated: number;
  state: RolloutState;
  /** Why it halted, paused or was aborted; null otherwise. */
  reason: string | null;
  /** The wave steps as given, e.g. [1, "10%", "50%", "100%"]. */
  waves: Array<number | string>;
  /** As given: "N" or "P%". */
  maxFailures: string;
  /** maxFailures resolved against the rollout's device count. */
  allowedFailures: number;
  deadlineMs: number;
  runner: RunnerRecord | null;
}

export interface RolloutDeviceRecord {
  appliance: string;
  /** Order within the rollout: the order the targets were given in. */
  position: number;
  /** 1-based. */
  wave: number;
  state: DeviceState;
  /** ms since the epoch, set when the device's (latest) upgrade started. */
  started: number | null;
  finished: number | null;
  error: string | null;
  /** The version the appliance reported after its upgrade. */
  version: string | null;
}

export interface NewRollout {
  image: string;
  version: string;
  waves: Array<number | string>;
  maxFailures: string;
  allowedFailures: number;
  deadlineMs: number;
  /** In order; each with its wave. */
  devices: ReadonlyArray<{ appliance: string; wave: number }>;
}

export type DeviceOutcome = { state: 'succeeded'; version: string } | { state: 'failed'; error: string; version?: string | null };

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

export class SqliteRolloutStore {
  constructor(private readonly db: Db) {}

  /** The rollout and all its devices (state `pending`), in one transaction; the rollout is `running`. */
  create(rollout: NewRollout, now = Date.now()): RolloutRecord {
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
    return this.get(id)!;
  }

  get(id: number): RolloutRecord | null {
    const row = this.db.prepare('SELECT * FROM rollouts WHERE id = ?').get(id) as RolloutRow | undefined;
    return row ? fromRolloutRow(row) : null;
  }

  latest(): RolloutRecord | null {
    const row = this.db.prepare('SELECT * FROM rollouts ORDER BY id DESC LIMIT 1').get() as RolloutRow | undefined;
    return row ? fromRolloutRow(row) : null;
  }

  /** Newest first. */
  list(limit = 100): RolloutRecord[] {
    return (this.db.prepare('SELECT * FROM rollouts ORDER BY id DESC LIMIT ?').all(Math.max(0, Math.floor(limit))) as RolloutRow[]).map(fromRolloutRow);
  }

  /** By wave, then in the order the targets were given. */
  devices(id: number): RolloutDeviceRecord[] {
    return (
      this.db
        .prepare('SELECT appliance, position, wave, state, started, finished, error, version FROM rollout_devices WHERE rollout = ? ORDER BY wave, position')
        .all(id) as DeviceRow[]
    ).map(fromDeviceRow);
  }

  /** How many of the rollout's devices are in each state. */
  countByState(id: number): Record<DeviceState, number> {
    const counts: Record<DeviceState, number> = { pending: 0, upgrading: 0, succeeded: 0, failed: 0 };
    const rows = this.db.prepare('SELECT state, count(*) AS n FROM rollout_devices WHERE rollout = ? GROUP BY state').all(id) as Array<{
      state: DeviceState;
      n: number;
    }>;
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  /** Moves the rollout to `to` only from one of `from`: whether it did. */
  setState(id: number, to: RolloutState, from: readonly RolloutState[], reason: string | null, now = Date.now()): boolean {
    if (from.length === 0) return false;
    const sql = `UPDATE rollouts SET state = ?, reason = ?, updated = ? WHERE id = ? AND state IN (${placeholders(from.length)})`;
    return this.db.prepare(sql).run(to, reason, Math.floor(now), id, ...from).changes === 1;
  }

  /**
   * Marks a device `upgrading` with its start time, only while the rollout is `running`, its
   * lease is held by `token` and the device is not finished: a pause or an abort written by
   * another process between the caller's last look and this write wins. Whether it did.
   */
  startDevice(id: number, appliance: string, token: string, now = Date.now()): boolean {
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

  /** Records how an upgrading device ended, only while `token` holds the lease. Whether it did. */
  finishDevice(id: number, appliance: string, outcome: DeviceOutcome, token: string, now = Date.now()): boolean {
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

  /**
   * A halted rollout `running` again with its failed devices back to `pending`, in one
   * transaction: the names put back, or null if the rollout was not halted.
   */
  resumeHalted(id: number, now = Date.now()): string[] | null {
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

  /** Which of `appliances` are in a rollout that is not over (running, paused or halted). */
  unfinishedRolloutsOf(appliances: readonly string[]): Array<{ appliance: string; rollout: number; state: RolloutState }> {
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

  /** Takes the lease for `runner` if the current holder's token is `expected` (null: nobody). Whether it did. */
  claimRunner(id: number, runner: RunnerRecord, expected: string | null): boolean {
    return (
      this.db
        .prepare('UPDATE rollouts SET runner_token = ?, runner_host = ?, runner_pid = ?, heartbeat = ? WHERE id = ? AND runner_token IS ?')
        .run(runner.token, runner.host, runner.pid, Math.floor(runner.heartbeat), id, expected).changes === 1
    );
  }

  /** Renews the lease: false when `token` no longer holds it (another process took it over). */
  heartbeat(id: number, token: string, now = Date.now()): boolean {
    return this.db.prepare('UPDATE rollouts SET heartbeat = ? WHERE id = ? AND runner_token = ?').run(Math.floor(now), id, token).changes === 1;
  }

  releaseRunner(id: number, token: string): void {
    this.db
      .prepare('UPDATE rollouts SET runner_token = NULL, runner_host = NULL, runner_pid = NULL, heartbeat = NULL WHERE id = ? AND runner_token = ?')
      .run(id, token);
  }
}
