/**
 * A remote agent's event log and audit log through its API (GET /api/v1/events, /api/v1/audit),
 * in the shapes `fulcrum events` and `fulcrum audit` print (events.ts, audit.ts). The API filters
 * by time, appliance, count (at most 1000 an answer) and, for a follower, by id (`after`); the
 * event kind is filtered here.
 * Invariant: following goes by event id, as locally — an event is shown once, whatever its time,
 * and however many were appended between two looks.
 */
import type { AuditEntry } from '../../store/audit.js';
import type { StoredEvent } from '../../store/event-log.js';
import type { RemoteApi } from '../remote-api.js';
import type { EventFilter, EventSource } from '../event-source.js';

/** The most the API answers at once (src/api/routes/events.ts). */
const API_MAX = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

interface EventsPage {
  events: StoredEvent[];
  /** The log's last id; absent from an agent older than `after` (src/api/routes/events.ts). */
  lastId?: number;
}

export function remoteEvents(api: RemoteApi, which: EventFilter): EventSource {
  const keep = (events: StoredEvent[]) => (which.kind === undefined ? events : events.filter((e) => e.kind === which.kind));
  // The highest id paged through: events of another kind are not shown, so the caller's last
  // shown id lags behind it, and paging from there again would fetch them every second.
  let cursor = 0;
  return {
    newest: async (from, limit) => {
      // With a kind to keep, ask for as many as the API gives: the kind is picked from those.
      const asked = which.kind === undefined ? limit : API_MAX;
      const { events } = await api.get<EventsPage>('/events', { since: iso(from), appliance: which.appliance, limit: String(asked) });
      return keep(events).slice(0, limit);
    },
    after: async (id) => {
      const found: StoredEvent[] = [];
      cursor = Math.max(cursor, id);
      // Page forward by id until a short page: the agent answers those after `after` oldest first.
      for (;;) {
        const { events } = await api.get<EventsPage>('/events', { after: String(cursor), appliance: which.appliance, limit: String(API_MAX) });
        for (const e of events) cursor = Math.max(cursor, e.id);
        found.push(...keep(events));
        if (events.length < API_MAX) return found;
      }
    },
    lastId: async () => {
      const page = await api.get<EventsPage>('/events', { limit: '1' });
      // An agent without `lastId` answers the newest by time, the best it can say.
      return page.lastId ?? page.events[0]?.id ?? 0;
    },
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
