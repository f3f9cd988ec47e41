/**
 * The agent's store: one SQLite file holding the inventory, metrics and events. Callers that
 * only need metrics should depend on the `MetricStore` interface, not on SQLite.
 */
import { openDatabase, type Db } from './database.js';
import { SqliteInventory } from './inventory.js';
import type { Retention } from './metric-store.js';
import { SqliteMetricStore } from './sqlite-metric-store.js';

export { defaultDatabasePath, openDatabase, type Db } from './database.js';
export * from './inventory.js';
export * from './metric-store.js';
export { SqliteMetricStore, type SqliteMetricStoreOptions } from './sqlite-metric-store.js';

export interface AgentStore {
  readonly db: Db;
  readonly metrics: SqliteMetricStore;
  readonly inventory: SqliteInventory;
  /** Flush open rollup buckets and close the file. */
  close(): void;
}

/** Open the agent's database (default $FULCRUM_HOME/fulcrum.db) with its metric store and inventory. */
export function openStore(options: { file?: string; retention?: Partial<Retention> } = {}): AgentStore {
  const db = openDatabase(options.file);
  try {
    const metrics = new SqliteMetricStore(db, options.retention ? { retention: options.retention } : {});
    const inventory = new SqliteInventory(db);
    return {
      db,
      metrics,
      inventory,
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
