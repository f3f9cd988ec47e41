/**
 * The agents of a store and who owns each appliance, the same on both engines: on a server
 * store, the agents registered in it (src/store/ownership.ts); on the SQLite file, its one
 * poller (the poller lease holder), which owns every appliance while its lease runs.
 */
import type { AgentStore } from './agent-store.js';
import type { AgentRecord } from './ownership.js';

/** Every agent known (live or not), newest heartbeat first. */
export async function listAgents(store: Pick<AgentStore, 'ownership' | 'pollerLease' | 'inventory'>, now = Date.now()): Promise<AgentRecord[]> {
  if (store.ownership) return store.ownership.agents();
  const h = await store.pollerLease.holder();
  if (!h) return [];
  const live = h.expires > now;
  return [
    {
      id: h.holder,
      site: 'default',
      capacity: Number.MAX_SAFE_INTEGER,
      host: h.host,
      pid: h.pid,
      command: h.command,
      apiUrl: null,
      started: h.since,
      // The lease is renewed with each beat: its expiry is the last beat plus the lease.
      heartbeat: Math.min(now, h.expires),
      live,
      stopped: false,
      leases: live ? (await store.inventory.names()).length : 0,
      cycleMs: null,
      ttlMs: Math.max(0, h.expires - h.since),
      coordinator: live,
    },
  ];
}

/** Appliance → the agent that polls it now; absent: nobody. */
export async function applianceOwners(
  store: Pick<AgentStore, 'ownership' | 'pollerLease' | 'inventory'>,
  now = Date.now(),
): Promise<(name: string) => string | null> {
  if (store.ownership) {
    const owners = await store.ownership.owners();
    return (name) => owners.get(name) ?? null;
  }
  const h = await store.pollerLease.holder();
  const holder = h && h.expires > now ? h.holder : null;
  return () => holder;
}
