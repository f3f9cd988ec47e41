/** Each appliance's last known state on SQLite (table appliance_state); a failover event lands in the same transaction as the state that shows it. */
import type { Db } from '../database.js';
import { preparedOnce, type Prepare } from './prepared.js';
import { FAILOVER_EVENT_KIND, type ApplianceStateStore, type GroupState, type ObservedIdentity, type StoredApplianceState } from '../appliance-state.js';
import type { SqliteEventLog } from './event-log.js';
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

export class SqliteApplianceState implements ApplianceStateStore {
  /** `events`: where a member's group state changing between polls is recorded; none, not recorded. */
  private readonly sql: Prepare;

  constructor(
    private readonly db: Db,
    private readonly events: Pick<SqliteEventLog, 'appendNow'> | null = null,
  ) {
    this.sql = preparedOnce(db);
  }

  async observed(name: string, at: number, info: ObservedIdentity): Promise<{ from: GroupState; to: GroupState; group: string; unit: number } | null> {
    const pendingUntil = info.pendingConfirm === null ? null : Math.floor(at + info.pendingConfirm * 1000);
    const group = info.group ?? null;
    return this.db.transaction(() => {
      const before = this.read(name);
      this.sql(
        `INSERT INTO appliance_state (appliance, reachable, last_poll, last_attempt, error, model, firmware, config_id, pending_until, group_name, group_unit, group_state)
           SELECT id, 1, @at, @at, NULL, @model, @firmware, @configId, @pendingUntil, @groupName, @groupUnit, @groupState FROM appliances WHERE name = @name
           ON CONFLICT (appliance) DO UPDATE SET reachable = 1, last_poll = @at, last_attempt = @at, error = NULL,
             model = @model, firmware = @firmware, config_id = @configId, pending_until = @pendingUntil,
             group_name = @groupName, group_unit = @groupUnit, group_state = @groupState`,
      ).run({
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
      this.events?.appendNow({ ts: Math.floor(at), appliance: name, kind: FAILOVER_EVENT_KIND, detail: change });
      return change;
    })();
  }

  async failed(name: string, at: number, error: string): Promise<void> {
    this.sql(
      `INSERT INTO appliance_state (appliance, reachable, last_attempt, error) SELECT id, 0, @at, @error FROM appliances WHERE name = @name
         ON CONFLICT (appliance) DO UPDATE SET reachable = 0, last_attempt = @at, error = @error`,
    ).run({ name, at: Math.floor(at), error });
  }

  async forget(name: string): Promise<void> {
    this.sql('DELETE FROM appliance_state WHERE appliance = (SELECT id FROM appliances WHERE name = ?)').run(name);
  }

  async get(name: string): Promise<StoredApplianceState | null> {
    return this.read(name);
  }

  private read(name: string): StoredApplianceState | null {
    const row = this.sql(`${SELECT} WHERE a.name = ?`).get(name) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async members(group: string): Promise<StoredApplianceState[]> {
    return (this.sql(`${SELECT} WHERE s.group_name = ? ORDER BY s.group_unit, a.name`).all(group) as Row[]).map(fromRow);
  }

  async all(): Promise<Map<string, StoredApplianceState>> {
    return new Map((this.sql(SELECT).all() as Row[]).map((r) => [r.name, fromRow(r)]));
  }
}
