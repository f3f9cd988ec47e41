/** The agent's store as every part of the agent sees it, whatever the engine (src/store/index.ts opens one). */
import type { MetricStore, Retention, SamplePruneSummary } from './metric-store.js';
import type { EventLog } from './event-log.js';
import type { Inventory } from './inventory.js';
import type { ApplianceStateStore } from './appliance-state.js';
import type { TokenStore } from './tokens.js';
import type { AuditLog } from './audit.js';
import type { FirmwareImageStore } from './firmware-images.js';
import type { RolloutStore } from './rollouts.js';
import type { FleetPushStore } from './fleet-pushes.js';
import type { PollerLeaseStore } from './poller-lease.js';
import type { OwnershipStore } from './ownership.js';

/** Rows (or frames) deleted by a prune, per table. */
export interface PruneSummary extends SamplePruneSummary {
  events: number;
}

export interface AgentStore {
  /** Where the store is, for messages: the SQLite file, or the server URL without its password. */
  readonly location: string;
  readonly metrics: MetricStore & { readonly retention: Retention };
  readonly events: EventLog;
  readonly inventory: Inventory;
  /** Each appliance's last known state, as the poller saw it. */
  readonly applianceState: ApplianceStateStore;
  readonly tokens: TokenStore;
  readonly audit: AuditLog;
  readonly firmwareImages: FirmwareImageStore;
  readonly rollouts: RolloutStore;
  /** Fleet pushes started through the API, with their progress and runner lease. */
  readonly fleetPushes: FleetPushStore;
  /** Who polls this store when one poller has it all (the SQLite file). */
  readonly pollerLease: PollerLeaseStore;
  /** Agents sharing a server store and the appliance each one owns; null on the SQLite file (one poller, pollerLease). */
  readonly ownership: OwnershipStore | null;
  /** Delete samples and events older than their retention, relative to `now` (ms). */
  prune(now?: number): Promise<PruneSummary>;
  /** Flush open rollup buckets and close the store. */
  close(): Promise<void>;
}
