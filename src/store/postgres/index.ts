/**
 * The agent's store on PostgreSQL: the same AgentStore as the SQLite file, behind the same
 * interfaces. Opening it migrates the schema (migrate.ts); the inventory's secrets are sealed
 * with the agent's key file as on SQLite, so the server never holds them in clear.
 */
import { connect, type PgPoolOptions } from './connection.js';
import { PgApplianceState } from './appliance-state.js';
import { PgAuditLog } from './audit.js';
import { PgEventLog } from './event-log.js';
import { PgFirmwareImages } from './firmware-images.js';
import { PgInventory } from './inventory.js';
import { PgMetricStore } from './metric-store.js';
import { migrate } from './migrate.js';
import { PgPollerLease } from './poller-lease.js';
import { PgOwnership } from './ownership.js';
import { PgRolloutStore } from './rollouts.js';
import { PgFleetPushStore } from './fleet-pushes.js';
import { PgTokenStore } from './tokens.js';
import type { AgentStore } from '../agent-store.js';
import type { Retention } from '../metric-store.js';
import { SecretBox } from '../secrets.js';

export { SchemaError, type SchemaErrorCode } from './migrate.js';
export { PG_SCHEMA_VERSION } from './schema.js';

export interface OpenPostgresStoreOptions extends PgPoolOptions {
  retention?: Partial<Retention>;
  /** The key sealing the inventory's secrets; default $FULCRUM_HOME/secret.key. */
  keyFile?: string;
}

/** The URL as messages may show it: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Connects to `url` (postgres://…), brings the schema up to date and opens every store on it. */
export async function openPostgresStore(url: string, options: OpenPostgresStoreOptions = {}): Promise<AgentStore> {
  const location = redactUrl(url);
  const db = connect(url, options.max === undefined ? {} : { max: options.max });
  try {
    await migrate(db, location);
    const secrets = new SecretBox(options.keyFile);
    const metrics = new PgMetricStore(db, options.retention ? { retention: options.retention } : {});
    const events = new PgEventLog(db, url);
    return {
      location,
      metrics,
      events,
      inventory: new PgInventory(db, secrets),
      applianceState: new PgApplianceState(db),
      tokens: new PgTokenStore(db),
      audit: new PgAuditLog(db),
      firmwareImages: new PgFirmwareImages(db),
      rollouts: new PgRolloutStore(db),
      fleetPushes: new PgFleetPushStore(db),
      pollerLease: new PgPollerLease(db),
      ownership: new PgOwnership(db),
      async prune(now = Date.now()) {
        return { ...(await metrics.prune(now)), events: await events.prune(now - metrics.retention.events) };
      },
      async close() {
        try {
          await metrics.close();
        } finally {
          await db.end();
        }
      },
    };
  } catch (error) {
    await db.end();
    throw error;
  }
}
