/**
 * The agent's store: one SQLite file holding the inventory, metrics, events, API tokens and the
 * audit log. Callers that only need metrics should depend on the `MetricStore` interface, not
 * on SQLite.
 */
import { SqliteApplianceState } from './appliance-state.js';
import { SqliteAuditLog } from './audit.js';
import { openDatabase, type Db } from './database.js';
import { SqliteFirmwareImages } from './firmware-images.js';
import { SqliteInventory } from './inventory.js';
import type { Retention, SamplePruneSummary } from './metric-store.js';
import { SqliteEventLog } from './sqlite/event-log.js';
import { SqliteMetricStore } from './sqlite/metric-store.js';
import { SqlitePollerLease } from './poller-lease.js';
import { SqliteRolloutStore } from './rollouts.js';
import { SecretBox } from './secrets.js';
import { SqliteTokenStore } from './tokens.js';

export { defaultDatabasePath, openDatabase, SCHEMA_VERSION, type Db } from './database.js';
export * from './audit.js';
export * from './tokens.js';
export * from './inventory.js';
export * from './firmware-images.js';
export * from './rollouts.js';
export * from './metric-store.js';
export * from './event-log.js';
export * from './poller-lease.js';
export * from './appliance-state.js';
export { defaultKeyPath, SecretKeyError, type SecretKeyErrorCode } from './secrets.js';
export { SqliteEventLog } from './sqlite/event-log.js';
export { SqliteMetricStore, type SqliteMetricStoreOptions } from './sqlite/metric-store.js';

/** Rows (or frames) deleted by a prune, per table. */
export interface PruneSummary extends SamplePruneSummary {
  events: number;
}

export interface AgentStore {
  readonly db: Db;
  readonly metrics: SqliteMetricStore;
  readonly events: SqliteEventLog;
  readonly inventory: SqliteInventory;
  /** Each appliance's last known state, as the poller saw it. */
  readonly applianceState: SqliteApplianceState;
  readonly tokens: SqliteTokenStore;
  readonly audit: SqliteAuditLog;
  readonly firmwareImages: SqliteFirmwareImages;
  readonly rollouts: SqliteRolloutStore;
  /** Who polls this store (one poller per store). */
  readonly pollerLease: SqlitePollerLease;
  /** Delete samples and events older than their retention, relative to `now` (ms). */
  prune(now?: number): PruneSummary;
  /** Flush open rollup buckets and close the file. */
  close(): void;
}

export interface OpenStoreOptions {
  file?: string;
  retention?: Partial<Retention>;
  /** The key sealing the inventory's secrets; default $FULCRUM_HOME/secret.key, apart from the database. */
  keyFile?: string;
}

/** Open the agent's database (default $FULCRUM_HOME/fulcrum.db) with its metric store and inventory. */
export function openStore(options: OpenStoreOptions = {}): AgentStore {
  const secrets = new SecretBox(options.keyFile);
  const db = openDatabase(options.file, { secrets });
  try {
    const metrics = new SqliteMetricStore(db, options.retention ? { retention: options.retention } : {});
    const inventory = new SqliteInventory(db, secrets);
    const events = new SqliteEventLog(db);
    return {
      db,
      metrics,
      events,
      inventory,
      applianceState: new SqliteApplianceState(db, events),
      tokens: new SqliteTokenStore(db),
      audit: new SqliteAuditLog(db),
      firmwareImages: new SqliteFirmwareImages(db),
      rollouts: new SqliteRolloutStore(db),
      pollerLease: new SqlitePollerLease(db),
      prune(now = Date.now()) {
        return { ...metrics.prune(now), events: events.prune(now - metrics.retention.events) };
      },
      close() {
        try {
          metrics.close();
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
