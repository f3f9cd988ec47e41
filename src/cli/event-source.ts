/**
 * Where `fulcrum events` reads from — this machine's store (commands/events.ts) or a remote
 * agent's API (commands/remote-logs.ts) — as one interface both implement, in a module of its
 * own so that neither imports the other.
 */
import type { StoredEvent } from '../store/event-log.js';

/** Where the events come from: this machine's store, or a remote agent's API (remote-logs.ts). */
export interface EventSource {
  /** The newest `limit` at or after `from` (ms), newest first. */
  newest(from: number, limit: number): Promise<StoredEvent[]>;
  /** Those appended after event `id`, oldest first. */
  after(id: number): Promise<StoredEvent[]>;
  /** The id of the log's last event, whatever the filters (0: none yet). */
  lastId(): Promise<number>;
  close(): Promise<void> | void;
}

export interface EventFilter {
  appliance?: string;
  kind?: string;
}
