/**
 * Each appliance's last known state on PostgreSQL (table `appliance_state`), behaving as
 * SqliteApplianceState does. A failover event is appended in the same transaction as the state
 * that shows it, and the row is read FOR UPDATE first, so two polls of one appliance at once
 * cannot both see the old group state and record the change twice.
 */
import { checkFence } from './fence.js';
import type { Fence } from '../ownership.js';
import type { PgClient, PgDb } from './connection.js';
import { appendEvent } from './event-log.js';
import { FAILOVER_EVENT_KIND, type ApplianceStateStore, type GroupState, type ObservedIdentity, type StoredApplianceState } from '../appliance-state.js';

interface Row {
  name: string;
  reachable: boolean;
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
  reachable: r.reachable,
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

export class PgApplianceState implements ApplianceStateStore {
  /** `recordEvents`: whether a member's group state changing between polls is appended to the event log. */
  constructor(
    private readonly db: PgDb,
    private readonly recordEvents = true,
  ) {}

  async observed(
    name: string,
    at: number,
    info: ObservedIdentity,
    fence?: Fence,
  ): Promise<{ from: GroupState; to: GroupState; group: string; unit: number } | null> {
    const pendingUntil = info.pendingConfirm === null ? null : Math.floor(at + info.pendingConfirm * 1000);
    const group = info.group ?? null;
    return this.db.transaction(async (client) => {
      await checkFence(client, name, fence);
      const before = await read(client, name, ' FOR UPDATE OF s');
      await client.query(
        `INSERT INTO appliance_state (appliance, reachable, last_poll, last_attempt, error, model, firmware, config_id, pending_until, group_name, group_unit, group_state)
         SELECT id, TRUE, $2, $2, NULL, $3, $4, $5, $6, $7, $8, $9 FROM appliances WHERE name = $1
         ON CONFLICT (appliance) DO UPDATE SET reachable = TRUE, last_poll = $2, last_attempt = $2, error = NULL,
           model = $3, firmware = $4, config_id = $5, pending_until = $6, group_name = $7, group_unit = $8, group_state = $9`,
        [name, Math.floor(at), info.model, info.firmware, info.configId, pendingUntil, group?.name ?? null, group?.unit ?? null, group?.state ?? null],
      );
      // Only a state change within the same group is a failover; joining or leaving one is not.
      const was = before?.group ?? null;
      if (group === null || was === null || was.name !== group.name || was.state === group.state) return null;
      const change = { group: group.name, unit: group.unit, from: was.state, to: group.state };
      if (this.recordEvents) await appendEvent(client, { ts: Math.floor(at), appliance: name, kind: FAILOVER_EVENT_KIND, detail: change });
      return change;
    });
  }

  async failed(name: string, at: number, error: string, fence?: Fence): Promise<void> {
    await this.db.transaction(async (client) => {
      await checkFence(client, name, fence);
      await client.query(
        `INSERT INTO appliance_state (appliance, reachable, last_attempt, error) SELECT id, FALSE, $2, $3 FROM appliances WHERE name = $1
       ON CONFLICT (appliance) DO UPDATE SET reachable = FALSE, last_attempt = $2, error = $3`,
        [name, Math.floor(at), error],
      );
    });
  }

  async forget(name: string): Promise<void> {
    await this.db.query('DELETE FROM appliance_state WHERE appliance = (SELECT id FROM appliances WHERE name = $1)', [name]);
  }

  async get(name: string): Promise<StoredApplianceState | null> {
    return read(this.db, name, '');
  }

  async members(group: string): Promise<StoredApplianceState[]> {
    return (await this.db.query<Row>(`${SELECT} WHERE s.group_name = $1 ORDER BY s.group_unit, a.name COLLATE "C"`, [group])).rows.map(fromRow);
  }

  async all(): Promise<Map<string, StoredApplianceState>> {
    return new Map((await this.db.query<Row>(SELECT)).rows.map((r) => [r.name, fromRow(r)]));
  }
}

async function read(client: PgClient, name: string, lock: string): Promise<StoredApplianceState | null> {
  const row = (await client.query<Row>(`${SELECT} WHERE a.name = $1${lock}`, [name])).rows[0];
  return row ? fromRow(row) : null;
}
