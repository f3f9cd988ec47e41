/**
 * Each inventory appliance's last known state, as the poller (`fulcrum monitor`, a polling
 * `serve`) saw it: reachable or not, when it last answered, why the last poll failed, and its
 * identity as of that answer (model, firmware, running config id, when a pending commit
 * reverts). What `fulcrum appliance list` shows without asking the appliances. Invariants: a
 * row exists only for a name in the inventory and goes with it (ON DELETE CASCADE); a failed
 * poll keeps the identity last read (last known), and a changed target forgets it all.
 */
import type { Db } from './database.js';

export interface ObservedIdentity {
  model: string;
  firmware: string;
  configId: string;
  /** Seconds until a pending commit reverts, as the appliance said; null when nothing is pending. */
  pendingConfirm: number | null;
}

export interface StoredApplianceState {
  name: string;
  reachable: boolean;
  /** ms of the last successful poll; null if it never answered. */
  lastPoll: number | null;
  /** ms of the last poll, successful or not. */
  lastAttempt: number;
  /** Why the last poll failed; null after a success. */
  error: string | null;
  model: string | null;
  firmware: string | null;
  configId: string | null;
  /** ms at which the pending commit reverts unless confirmed; null when none was pending. */
  pendingUntil: number | null;
}

interface Row {
  name: string;
  reachable: number;
  last_poll: number | null;
  last_attempt: number;
  error: string | null;
  model: string | null;
  firmware: string | null;
  config_id: string | null;
  pending_until: number | null;
}

const fromRow = (r: Row): StoredApplianceState => ({
  name: r.name,
  reachable: r.reachable === 1,
  lastPoll: r.last_poll,
  lastAttempt: r.last_attempt,
  error: r.error,
  model: r.model,
  firmware: r.firmware,
  configId: r.config_id,
  pendingUntil: r.pending_until,
});

const SELECT = `SELECT a.name, s.reachable, s.last_poll, s.last_attempt, s.error, s.model, s.firmware, s.config_id, s.pending_until
  FROM appliance_state s JOIN appliances a ON a.id = s.appliance`;

export class SqliteApplianceState {
  constructor(private readonly db: Db) {}

  /** A successful poll at `at` (ms) that read this identity. A name not in the inventory is ignored. */
  observed(name: string, at: number, info: ObservedIdentity): void {
    const pendingUntil = info.pendingConfirm === null ? null : Math.floor(at + info.pendingConfirm * 1000);
    this.db
      .prepare(
        `INSERT INTO appliance_state (appliance, reachable, last_poll, last_attempt, error, model, firmware, config_id, pending_until)
         SELECT id, 1, @at, @at, NULL, @model, @firmware, @configId, @pendingUntil FROM appliances WHERE name = @name
         ON CONFLICT (appliance) DO UPDATE SET reachable = 1, last_poll = @at, last_attempt = @at, error = NULL,
           model = @model, firmware = @firmware, config_id = @configId, pending_until = @pendingUntil`,
      )
      .run({ name, at: Math.floor(at), model: info.model, firmware: info.firmware, configId: info.configId, pendingUntil });
  }

  /** A failed poll: unreachable, with why; the identity last read stays. */
  failed(name: string, at: number, error: string): void {
    this.db
      .prepare(
        `INSERT INTO appliance_state (appliance, reachable, last_attempt, error) SELECT id, 0, @at, @error FROM appliances WHERE name = @name
         ON CONFLICT (appliance) DO UPDATE SET reachable = 0, last_attempt = @at, error = @error`,
      )
      .run({ name, at: Math.floor(at), error });
  }

  /** Forget what was seen (the appliance moved: its old address's state says nothing of the new one). */
  forget(name: string): void {
    this.db.prepare('DELETE FROM appliance_state WHERE appliance = (SELECT id FROM appliances WHERE name = ?)').run(name);
  }

  get(name: string): StoredApplianceState | null {
    const row = this.db.prepare(`${SELECT} WHERE a.name = ?`).get(name) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Every appliance polled at least once, by name. */
  all(): Map<string, StoredApplianceState> {
    return new Map((this.db.prepare(SELECT).all() as Row[]).map((r) => [r.name, fromRow(r)]));
  }
}
