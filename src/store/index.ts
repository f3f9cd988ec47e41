/**
 * The agent's store: the inventory, metrics, events, API tokens, the audit log, rollouts and
 * leases, in one SQLite file (the default) or on a PostgreSQL server (several agents). Callers
 * depend on the interfaces (MetricStore, EventLog, Inventory, …), never on an engine.
 */
import { SqliteApplianceState } from './sqlite/appliance-state.js';
import { SqliteAuditLog } from './sqlite/audit.js';
import { openDatabase } from './database.js';
import { SqliteFirmwareImages } from './sqlite/firmware-images.js';
import { SqliteInventory } from './sqlite/inventory.js';
import type { AgentStore } from './agent-store.js';
import type { Retention } from './metric-store.js';
import { SqliteEventLog } from './sqlite/event-log.js';
import { SqliteMetricStore } from './sqlite/metric-store.js';
import { SqlitePollerLease } from './sqlite/poller-lease.js';
import { SqliteRolloutStore } from './sqlite/rollouts.js';
import { SqliteFleetPushStore } from './sqlite/fleet-pushes.js';
import { SecretBox } from './secrets.js';
import { SqliteTokenStore } from './sqlite/tokens.js';

export { defaultDatabasePath, openDatabase, SCHEMA_VERSION, type Db } from './database.js';
export * from './audit.js';
export * from './tokens.js';
export * from './inventory.js';
export * from './firmware-images.js';
export * from './rollouts.js';
export * from './fleet-pushes.js';
export * from './metric-store.js';
export * from './event-log.js';
export * from './poller-lease.js';
export * from './appliance-state.js';
export * from './ownership.js';
export type { AgentStore, PruneSummary } from './agent-store.js';
export { defaultKeyPath, SecretKeyError, type SecretKeyErrorCode } from './secrets.js';
export { SqliteEventLog } from './sqlite/event-log.js';
export { SqliteTokenStore } from './sqlite/tokens.js';
export { SqliteMetricStore, type SqliteMetricStoreOptions } from './sqlite/metric-store.js';

export interface OpenStoreOptions {
  /** A SQLite file, or a postgres:// (postgresql://) URL; default $FULCRUM_STORE, else $FULCRUM_HOME/fulcrum.db. */
  file?: string;
  retention?: Partial<Retention>;
  /** The key sealing the inventory's secrets; default $FULCRUM_HOME/secret.key, apart from the database. */
  keyFile?: string;
}

/** Whether `location` names a PostgreSQL server rather than a SQLite file. */
export const isServerStore = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/**
 * Open the agent's store: the SQLite file (default $FULCRUM_HOME/fulcrum.db) or, for a
 * postgres:// location, the server store several agents can share (src/store/postgres/, loaded
 * only then).
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<AgentStore> {
  const location = options.file ?? (process.env.FULCRUM_STORE || undefined);
  if (location !== undefined && isServerStore(location)) {
    const { openPostgresStore } = await import('./postgres/index.js');
    return openPostgresStore(location, {
      ...(options.retention ? { retention: options.retention } : {}),
      ...(options.keyFile ? { keyFile: options.keyFile } : {}),
    });
  }
  return openSqliteStore({ ...options, ...(location !== undefined ? { file: location } : {}) });
}

function openSqliteStore(options: OpenStoreOptions): AgentStore {
  const secrets = new SecretBox(options.keyFile);
  const db = openDatabase(options.file, { secrets });
  try {
    const metrics = new SqliteMetricStore(db, options.retention ? { retention: options.retention } : {});
    const inventory = new SqliteInventory(db, secrets);
    const events = new SqliteEventLog(db);
    return {
      location: db.name,
      metrics,
      events,
      inventory,
      applianceState: new SqliteApplianceState(db, events),
      tokens: new SqliteTokenStore(db),
      audit: new SqliteAuditLog(db),
      firmwareImages: new SqliteFirmwareImages(db),
      rollouts: new SqliteRolloutStore(db),
      fleetPushes: new SqliteFleetPushStore(db),
      pollerLease: new SqlitePollerLease(db),
      ownership: null,
      async prune(now = Date.now()) {
        return { ...(await metrics.prune(now)), events: await events.prune(now - metrics.retention.events) };
      },
      async close() {
        try {
          await metrics.close();
        } finally {
          db.close();
        }
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
