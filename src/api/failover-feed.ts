/**
 * Failover events on the live stream. A member's group state change is written to the event log
 * by whoever saw it — this serve's poller, its group routes, a CLI `group failover`, a `monitor`
 * or trap receiver on the same store — inside the transaction that stores the new state
 * (src/store/appliance-state.ts), not through ctx.recordEvent, so nothing publishes it as it is
 * written. The stream follows the log instead: every failover event appended after the server
 * got ready is published once, as an `event` like the others (`{source: 'appliance', id, ts,
 * appliance, kind, detail}`), in id order, within FOLLOW_MS of being appended.
 * On a store several agents share, every event another agent appends reaches this server's
 * stream the same way (the log is the outbox: ids in order, each server catching up by id after
 * any gap, a restart of the database included); what this server appended and published itself
 * (`publishedHere`) is not sent twice.
 * Invariant: `last` only grows, and passes an event only once that event was published.
 */
import { FAILOVER_EVENT_KIND } from '../store/appliance-state.js';
import { MAX_EVENT_LIMIT, type EventLog } from '../store/event-log.js';
import type { EventHub } from './sse.js';

/** How often the log is read: a failover reaches a dashboard well within a poll interval. */
export const FOLLOW_MS = 500;
/**
 * The event log's largest page. The page is taken in time order and `last` jumps to its highest
 * id, so a full page could leave an older-timed event out: that many failovers between two reads
 * does not happen, and taking the largest page makes it as unlikely as it can be.
 */
const PAGE = MAX_EVENT_LIMIT;

type Events = Pick<EventLog, 'lastId' | 'query' | 'hints'>;

export class FailoverFeed {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private hinted: { close(): Promise<void> } | null = null;

  constructor(
    private readonly events: Events,
    private readonly hub: EventHub,
    private readonly log?: { warn(obj: object, msg: string): void },
    private readonly everyMs = FOLLOW_MS,
    /** Shared store: every kind, less the ids this server published as it appended them. */
    private readonly shared: { publishedHere: Set<number> } | null = null,
  ) {}

  async start(): Promise<void> {
    // What was logged before this server started is history (GET /events), not news.
    this.last = await this.events.lastId();
    this.timer = setInterval(() => void this.follow(), this.everyMs);
    this.timer.unref();
    // A shared store announces appends: followed at once instead of at the next tick.
    if (this.shared && this.events.hints) this.hinted = await this.events.hints(() => void this.follow());
  }

  /** Publishes what was appended since the last read (one read at a time). */
  follow(): Promise<void> {
    this.reading ??= this.read()
      .catch((err: unknown) => this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'reading failover events failed'))
      .finally(() => (this.reading = null));
    return this.reading;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.hinted?.close();
    this.hinted = null;
    await this.reading;
  }

  private async read(): Promise<void> {
    const fresh = await this.events.query({ ...(this.shared ? {} : { kind: FAILOVER_EVENT_KIND }), afterId: this.last, order: 'asc', limit: PAGE });
    for (const e of [...fresh].sort((a, b) => a.id - b.id)) {
      const ours = this.shared?.publishedHere.delete(e.id) ?? false;
      if (!ours) this.hub.publish('event', { source: 'appliance', ...e });
      this.last = Math.max(this.last, e.id);
    }
    // Ids of ours the log has passed can no longer come up: the set stays as small as the backlog.
    if (this.shared) for (const id of this.shared.publishedHere) if (id <= this.last) this.shared.publishedHere.delete(id);
  }
}
