/**
 * The event log as the poller, the API and rollouts see it: what happened to which appliance,
 * when (backend up/down, commits, rollbacks, traps, rollout steps). Kept apart from the metric
 * store: events are rows read by time and kind, samples are frames read by series.
 */
import type { Fence } from './ownership.js';

export interface EventInput {
  /** ms */
  ts: number;
  appliance: string;
  /** e.g. 'backend-down', 'commit', 'rollback', 'trap', 'unreachable' */
  kind: string;
  /** Anything JSON can carry (bigints as decimal text). */
  detail?: unknown;
}

export interface StoredEvent {
  id: number;
  ts: number;
  appliance: string;
  kind: string;
  detail: unknown;
}

export interface EventQuery {
  appliance?: string;
  kind?: string;
  /** Inclusive, ms. */
  from?: number;
  /** Inclusive, ms. */
  to?: number;
  /** Only events appended after this id (what a follower has not seen yet, whatever their times); ordered by id then. */
  afterId?: number;
  /** Newest first when set to 'desc'. Default 'asc'. */
  order?: 'asc' | 'desc';
  /** Default 1000, at most 100,000. */
  limit?: number;
}

export interface EventLog {
  /**
   * Store one event; returns its id (ids increase in the order events are appended). With a
   * `fence` (a poller on a shared store), throws StaleLeaseError once the fence no longer holds
   * the event's appliance.
   */
  append(event: EventInput, fence?: Fence): Promise<number>;
  query(query?: EventQuery): Promise<StoredEvent[]>;
  /** The id of the last event appended (0 when none): where a follower starts. */
  lastId(): Promise<number>;
  /** Called soon after another process appends (a server store's notifications); absent where nothing tells. */
  hints?(onHint: () => void): Promise<{ close(): Promise<void> }>;
  /** Delete events older than `before` (ms); returns how many. */
  prune(before: number): Promise<number>;
}

/** At most this many events per query. */
export const MAX_EVENT_LIMIT = 100_000;

const jsonSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** An event as every engine stores it (ts whole ms, detail JSON with bigints as text); throws for a bad one. */
export function eventRow(event: EventInput): { ts: number; appliance: string; kind: string; detail: string } {
  if (!Number.isFinite(event.ts)) throw new RangeError(`event time ${event.ts} is not a time in ms`);
  for (const [field, value] of [
    ['appliance', event.appliance],
    ['kind', event.kind],
  ] as const) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`event ${field} must be a non-empty string`);
  }
  return { ts: Math.floor(event.ts), appliance: event.appliance, kind: event.kind, detail: JSON.stringify(event.detail ?? null, jsonSafe) };
}
