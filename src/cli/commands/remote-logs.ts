/**
 * A remote agent's event log and audit log through its API (GET /api/v1/events, /api/v1/audit),
 * in the shapes `fulcrum events` and `fulcrum audit` print (events.ts, audit.ts). The API filters
 * by time, appliance and count (at most 1000 an answer); the event kind is filtered here.
 * Invariant: following goes by event id, as locally — an event is shown once, whatever its time.
 */
import type { AuditEntry } from '../../store/audit.js';
import type { StoredEvent } from '../../store/event-log.js';
import type { RemoteApi } from '../remote-api.js';
import type { EventFilter, EventSource } from '../event-source.js';

/** The most the API answers at once (src/api/routes/events.ts). */
const API_MAX = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

export function remoteEvents(api: RemoteApi, which: EventFilter): EventSource {
  const fetch = async (query: { since?: string; limit: number }): Promise<StoredEvent[]> => {
    // With a kind to keep, ask for as many as the API gives: the kind is picked from those.
    const limit = which.kind === undefined ? query.limit : API_MAX;
    const { events } = await api.get<{ events: StoredEvent[] }>('/events', { since: query.since, appliance: which.appliance, limit: String(limit) });
    return which.kind === undefined ? events : events.filter((e) => e.kind === which.kind).slice(0, query.limit);
  };
  return {
    newest: (from, limit) => fetch({ since: iso(from), limit }),
    after: async (id) => (await fetch({ limit: API_MAX })).filter((e) => e.id > id).reverse(),
    lastId: async () => (await api.get<{ events: StoredEvent[] }>('/events', { limit: '1' })).events[0]?.id ?? 0,
    close: () => undefined,
  };
}

export async function remoteAudit(api: RemoteApi, query: { limit: number; from?: number; appliance?: string }): Promise<AuditEntry[]> {
  const { entries } = await api.get<{ entries: AuditEntry[] }>('/audit', {
    limit: String(query.limit),
    since: query.from === undefined ? undefined : iso(query.from),
    appliance: query.appliance,
  });
  return entries;
}
