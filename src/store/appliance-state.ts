/**
 * Each inventory appliance's last known state, as the poller (`fulcrum monitor`, a polling
 * `serve`) saw it: reachable or not, when it last answered, why the last poll failed, and its
 * identity as of that answer (model, firmware, running config id, when a pending commit
 * reverts, the failover group it reports). What `fulcrum appliance list` and `fulcrum group …`
 * show without asking the appliances. Invariants: a row exists only for a name in the
 * inventory and goes with it (ON DELETE CASCADE); a failed poll keeps the identity last read
 * (last known), and a changed target forgets it all; a member's group state that differs from
 * the one stored before is a `failover` event, written in the same transaction as the new state
 * (so a poller that dies in between neither loses the event nor records it twice).
 */
import type { Db } from './database.js';
import type { EventLog } from './event-log.js';

export type GroupState = 'active' | 'standby' | 'offline';

/** A failover group membership as the appliance reports it (drivers' ApplianceInfo.group). */
export interface GroupMembership {
  name: string;
  unit: number;
  state: GroupState;
}

/** The event kind of a member's group state seen changing between two polls. */
export const FAILOVER_EVENT_KIND = 'failover';

export interface ObservedIdentity {
  model: string;
  firmware: string;
  configId: string;
  /** Seconds until a pending commit reverts, as the appliance said; null when nothing is pending. */
  pendingConfirm: number | null;
  /** Absent or undefined: a lone appliance (or a transport that does not report groups yet). */
  group?: GroupMembership | undefined;
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
  /** The failover group it reported at its last answer; null for a lone appliance. */
  group: GroupMembership | null;
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
  group_name: string | null;
  group_unit: number | null;
  group_state: GroupState | null;
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
  group: r.group_name === null || r.group_unit === null || r.group_state === null ? null : { name: r.group_name, unit: r.group_unit, state: r.group_state },
});

const SELECT = `SELECT a.name, s.reachable, s.last_poll, s.last_attempt, s.error, s.model, s.firmware, s.config_id, s.pending_until,
  s.group_name, s.group_unit, s.group_state
  FROM appliance_state s JOIN appliances a ON a.id = s.appliance`;

export class SqliteApplianceState {
  /** `events`: where a member's group state changing between polls is recorded; none, not recorded. */
  constructor(
    private readonly db: Db,
    private readonly events: Pick<EventLog, 'append'> | null = null,
  ) {}

  /**
   * A successful poll at `at` (ms) that read this identity. A name not in the inventory is
   * ignored. Returns the failover event recorded (the group state changed since the last
   * answer), else null.
   */
  observed(name: string, at: number, info: ObservedIdentity): { from: GroupState; to: GroupState; group: string; unit: number } | null {
    const pendingUntil = info.pendingConfirm === null ? null : Math.floor(at + info.pendingConfirm * 1000);
    const group = info.group ?? null;
    return this.db.transaction(() => {
      const before = this.get(name);
      this.db
        .prepare(
          `INSERT INTO appliance_state (appliance, reachable, last_poll, last_attempt, error, model, firmware, config_id, pending_until, group_name, group_unit, group_state)
           SELECT id, 1, @at, @at, NULL, @model, @firmware, @configId, @pendingUntil, @groupName, @groupUnit, @groupState FROM appliances WHERE name = @name
           ON CONFLICT (appliance) DO UPDATE SET reachable = 1, last_poll = @at, last_attempt = @at, error = NULL,
             model = @model, firmware = @firmware, config_id = @configId, pending_until = @pendingUntil,
             group_name = @groupName, group_unit = @groupUnit, group_state = @groupState`,
        )
        .run({
          name,
          at: Math.floor(at),
          model: info.model,
          firmware: info.firmware,
          configId: info.configId,
          pendingUntil,
          groupName: group?.name ?? null,
          groupUnit: group?.unit ?? null,
          groupState: group?.state ?? null,
        });
      // Only a state change within the same group is a failover; joining or leaving one is not.
      const was = before?.group ?? null;
      if (group === null || was === null || was.name !== group.name || was.state === group.state) return null;
      const change = { group: group.name, unit: group.unit, from: was.state, to: group.state };
      this.events?.append({ ts: Math.floor(at), appliance: name, kind: FAILOVER_EVENT_KIND, detail: change });
      return change;
    })();
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

  /** The members of failover group `group`, as last reported, by unit. */
  members(group: string): StoredApplianceState[] {
    return (this.db.prepare(`${SELECT} WHERE s.group_name = ? ORDER BY s.group_unit, a.name`).all(group) as Row[]).map(fromRow);
  }

  /** Every appliance polled at least once, by name. */
  all(): Map<string, StoredApplianceState> {
    return new Map((this.db.prepare(SELECT).all() as Row[]).map((r) => [r.name, fromRow(r)]));
  }
}
