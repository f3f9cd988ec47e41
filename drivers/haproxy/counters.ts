/**
 * `show stat` rows + the running rule table → the counter model every transport reports
 * (src/protocol/counters.ts), so the poller, the store, the dashboard and /metrics take an
 * HAProxy box as they take an appliance.
 *
 * A service is the proxy named after it (the driver renders each service as `listen NAME`); its
 * servers are that proxy's, or — for a hand-written `frontend` + `backend` — those of the one
 * backend whose servers are exactly the service's backends. Servers are matched to backends by
 * address. What HAProxy does not show under those names is left out, never invented.
 */

import type { BackendCounters, BackendOperState, CountersSnapshot, ServiceCounters } from '../../src/protocol/counters.js';
import { canonicalEndpoint } from '../../src/protocol/rules/endpoint.js';
import type { RuleTable, Service } from '../../src/protocol/rules/model.js';
import { fallbackBackendName } from '../../src/interop/haproxy/render.js';
import type { StatRow } from './show-stat.js';

export function countersFrom(rows: readonly StatRow[], table: RuleTable, now: number): CountersSnapshot {
  const byProxy = new Map<string, StatRow[]>();
  for (const row of rows) {
    let list = byProxy.get(row.proxy);
    if (!list) byProxy.set(row.proxy, (list = []));
    list.push(row);
  }
  const services: ServiceCounters[] = [];
  for (const service of table.services) {
    const front = byProxy.get(service.name)?.find((r) => r.type === 'frontend');
    if (service.protocol !== 'tcp' || front === undefined) continue;
    const pool = poolOf(service, byProxy);
    const servers = pool.filter((r) => r.type === 'server');
    const fallback = byProxy.get(fallbackBackendName(service.name))?.find((r) => r.type === 'backend');
    const backends: BackendCounters[] = [];
    for (const backend of service.backends) {
      const row = servers.find((r) => sameAddress(r.address, backend.address));
      if (row !== undefined) backends.push(backendCounters(row, backend.address, now));
    }
    services.push({
      name: service.name,
      listen: service.listen,
      protocol: 'tcp',
      connsTotal: front.total,
      connsActive: front.current,
      bytesIn: front.bytesIn,
      bytesOut: front.bytesOut,
      // Connections the pool could not place: HAProxy counts them as connect errors of the backend.
      failures: pool.find((r) => r.type === 'backend')?.connectErrors ?? 0n,
      fallbackConns: fallback?.total ?? 0n,
      backends,
    });
  }
  return { services };
}

/** The proxy holding the service's servers: its own (listen), else the backend with exactly its addresses. */
function poolOf(service: Service, byProxy: ReadonlyMap<string, StatRow[]>): StatRow[] {
  const own = byProxy.get(service.name) ?? [];
  if (own.some((r) => r.type === 'server')) return own;
  const wanted = new Set(service.backends.map((b) => b.address));
  for (const rows of byProxy.values()) {
    const servers = rows.filter((r) => r.type === 'server');
    if (servers.length === wanted.size && servers.every((r) => [...wanted].some((a) => sameAddress(r.address, a)))) return rows;
  }
  return own;
}

function backendCounters(row: StatRow, address: string, now: number): BackendCounters {
  return {
    address,
    state: operState(row.status),
    weight: row.weight,
    backup: row.backup,
    connsTotal: row.total,
    connsActive: row.current,
    bytesIn: row.bytesIn,
    bytesOut: row.bytesOut,
    connectFailures: row.connectErrors,
    lastChange: row.lastChangeSeconds === null ? now : now - row.lastChangeSeconds * 1000,
  };
}

/** HAProxy's server status → the model's: MAINT is disabled, DRAIN drain, DOWN (going up too) down, the rest up. */
export function operState(status: string): BackendOperState {
  if (status.startsWith('MAINT')) return 'disabled';
  if (status.startsWith('DRAIN')) return 'drain';
  if (status.startsWith('DOWN')) return 'down';
  return 'up';
}

function sameAddress(haproxy: string, canonical: string): boolean {
  if (haproxy === canonical) return true;
  try {
    return canonicalEndpoint(haproxy) === canonical;
  } catch {
    return false;
  }
}
