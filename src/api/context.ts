/**
 * What every route of the API works with: the store, the fleet's last known state, the driver
 * pool, the live stream's hub, the config cache and the rule loader. Routes receive it as their plugin options;
 * a new route module (firmware, rollouts…) takes the same and needs nothing else wired.
 */
import type { ApplianceEvent } from '../../drivers/driver.js';
import { ConfigCache } from '../store/config-cache.js';
import type { AgentStore, Fence } from '../store/index.js';
import type { ApplianceRecord } from '../store/inventory.js';
import { DriverPool, type OpenDriver } from '../provision/driver-pool.js';
import { notFound } from './errors.js';
import { auditLedger, FleetState } from './fleet-state.js';
import { AgentMetrics } from './metrics.js';
import { RuleLoader } from './rule-loader.js';
import { EventHub } from './sse.js';

export interface ApiContext {
  readonly store: AgentStore;
  readonly fleet: FleetState;
  readonly drivers: DriverPool;
  readonly hub: EventHub;
  readonly configCache: ConfigCache;
  readonly metrics: AgentMetrics;
  /** Loads rule tables off the event loop (close it with the server). */
  readonly rules: RuleLoader;
  /** The inventory's record of `name`, or a 404 that names it. */
  appliance(name: string): Promise<ApplianceRecord>;
  /** Keep an appliance event in the store and send it to the live stream. */
  /** `fence`: a poller's write on a shared store, refused (StaleLeaseError) once its lease is gone. */
  recordEvent(event: { ts: number; appliance: string; kind: string; detail: Record<string, unknown> }, fence?: Fence): Promise<void>;
  /** Ids of events this server published as it appended them (the feed of a shared store skips them). */
  publishedHere: Set<number>;
}

export interface ContextOptions {
  store: AgentStore;
  /** How the agent opens a driver for an inventory record (default: serial or SNMP by target). */
  openDriver?: OpenDriver;
  /** Where pushed and read tables are kept by config id (default $FULCRUM_HOME/configs). */
  configCache?: ConfigCache;
  /** The poll interval the fleet's rates are judged against. */
  pollIntervalMs?: number;
}

/** Events the console pushes (serial), in the event log's words. */
function driverEvent(appliance: string, e: ApplianceEvent): { ts: number; appliance: string; kind: string; detail: Record<string, unknown> } {
  const ts = Date.now();
  if (e.kind === 'backend-state')
    return { ts, appliance, kind: 'backend-state', detail: { service: e.service, backend: e.address, after: e.up ? 'up' : 'down', source: 'appliance' } };
  if (e.kind === 'commit') return { ts, appliance, kind: 'commit', detail: { configId: e.configId, pendingConfirm: e.pendingConfirm, source: 'appliance' } };
  return { ts, appliance, kind: 'rollback', detail: { configId: e.configId, reason: e.reason, source: 'appliance' } };
}

export function createContext(options: ContextOptions): ApiContext {
  const { store } = options;
  const hub = new EventHub();
  // The audit log tells the agent's own config changes from drift (fleet-state.ts).
  const fleet = new FleetState(options.pollIntervalMs, auditLedger(store));
  const publishedHere = new Set<number>();
  const recordEvent: ApiContext['recordEvent'] = async (event, fence) => {
    const id = await store.events.append(event, fence);
    if (store.ownership) publishedHere.add(id);
    hub.publish('event', { source: 'appliance', id, ...event });
  };
  const drivers = new DriverPool(options.openDriver, (appliance, e) => void recordEvent(driverEvent(appliance, e)).catch(() => undefined));
  return {
    store,
    fleet,
    drivers,
    hub,
    configCache: options.configCache ?? new ConfigCache(),
    metrics: new AgentMetrics(fleet),
    rules: new RuleLoader(),
    async appliance(name) {
      const record = await store.inventory.get(name);
      if (!record) throw notFound(`no appliance named "${name}" in the inventory`);
      return record;
    },
    recordEvent,
    publishedHere,
  };
}
