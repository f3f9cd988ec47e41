/**
 * The event log as the poller, the API and rollouts see it: what happened to which appliance,
 * when (backend up/down, commits, rollbacks, traps, rollout steps). Kept apart from the metric
 * store: events are rows read by time and kind, samples are frames read by series.
 */

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
  /** Only events appended after this id (what a follower has not seen yet, whatever their times). */
  afterId?: number;
  /** Newest first when set to 'desc'. Default 'asc'. */
  order?: 'asc' | 'desc';
  /** Default 1000, at most 100,000. */
  limit?: number;
}

export interface EventLog {
  /** Store one event; returns its id (ids increase in the order events are appended). */
  append(event: EventInput): number;
  query(query?: EventQuery): StoredEvent[];
  /** Delete events older than `before` (ms); returns how many. */
  prune(before: number): number;
}
