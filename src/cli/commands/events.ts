/**
 * `fulcrum events [--since D] [--appliance NAME] [--kind K] [--limit N] [--follow] [--json]`: the
 * agent's event log from the store (what the poller, traps, pushes and rollouts recorded), as
 * the API's /events serves it. Without --follow newest first, like `fulcrum audit`; with it, the
 * backlog oldest first and then each new event as it is appended, until interrupted. Invariant:
 * following goes by event id, so an event appended late with an earlier time is still shown once.
 * With a context (src/cli/remote-api.ts) the same, from the remote agent's /events.
 */
import type { StoredEvent } from '../../store/event-log.js';
import { sleep } from '../../poller/lease.js';
import { openStore } from '../../store/index.js';
import type { EventFilter, EventSource } from '../event-source.js';
import { CliError, EXIT } from '../exit-codes.js';
import { durationFlag } from '../options.js';
import { printJson, table, toJson } from '../output.js';
import { remoteApi } from '../remote-api.js';

export interface EventsOptions {
  since: string;
  appliance?: string;
  kind?: string;
  limit: string;
  follow?: boolean;
  json?: boolean;
  db?: string;
  context?: string;
  direct?: boolean;
}

/** How often --follow looks for new events: the poller writes them once per cycle at most. */
const FOLLOW_EVERY_MS = 1_000;

/** An event's detail as `key=value` pairs (nested values as JSON), for one line of a table. */
export function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object' || Array.isArray(detail)) return toJson(detail);
  return Object.entries(detail as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : toJson(v)}`)
    .join(' ');
}

const when = (ts: number) => new Date(ts).toISOString().replace(/\.\d+Z$/, 'Z');

function line(e: StoredEvent): string {
  return `${when(e.ts)}  ${e.appliance}  ${e.kind}  ${detailText(e.detail)}`.trimEnd();
}

async function storeEvents(opts: EventsOptions, which: EventFilter): Promise<EventSource> {
  const store = await openStore(opts.db ? { file: opts.db } : {});
  return {
    newest: async (from, limit) => store.events.query({ ...which, from, order: 'desc', limit }),
    after: async (id) => store.events.query({ ...which, afterId: id, order: 'asc', limit: 10_000 }),
    lastId: async () => store.events.lastId(),
    close: () => store.close(),
  };
}

export async function events(opts: EventsOptions): Promise<void> {
  const from = Math.max(0, Date.now() - durationFlag('--since', opts.since));
  const limit = Number(opts.limit);
  if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 10_000) throw new CliError('--limit: must be an integer 1..10000', EXIT.usage);
  const which = { ...(opts.appliance !== undefined ? { appliance: opts.appliance } : {}), ...(opts.kind !== undefined ? { kind: opts.kind } : {}) };
  const api = await remoteApi(opts);
  const source = api ? (await import('./remote-logs.js')).remoteEvents(api, which) : await storeEvents(opts, which);
  try {
    // The log's last id before the backlog is read: an event appended after that is either in
    // the backlog (and counted by its id below) or followed; reading it after printing the
    // backlog skipped whatever was appended in between.
    const before = opts.follow ? await source.lastId() : 0;
    // The newest `limit`, whichever way they are printed.
    const newest = await source.newest(from, limit);
    if (!opts.follow) {
      if (opts.json) return printJson(newest);
      if (newest.length === 0) return void process.stdout.write(`no events over the last ${opts.since}${opts.appliance ? ` for ${opts.appliance}` : ''}\n`);
      const rows = newest.map((e) => [when(e.ts), e.appliance, e.kind, detailText(e.detail)]);
      return void process.stdout.write(`${table(['when', 'appliance', 'kind', 'detail'], rows)}\n`);
    }
    const show = (e: StoredEvent) => process.stdout.write(`${opts.json ? toJson(e) : line(e)}\n`);
    const backlog = newest.reverse();
    backlog.forEach(show);
    let lastId = Math.max(before, ...backlog.map((e) => e.id));
    const stop = new AbortController();
    const halt = () => stop.abort();
    process.once('SIGINT', halt);
    process.once('SIGTERM', halt);
    try {
      while (!stop.signal.aborted) {
        await sleep(FOLLOW_EVERY_MS, stop.signal);
        // New ones by id, whatever their times: an event may be appended with an earlier time.
        for (const e of await source.after(lastId)) {
          show(e);
          lastId = Math.max(lastId, e.id);
        }
      }
    } finally {
      process.off('SIGINT', halt);
      process.off('SIGTERM', halt);
    }
  } finally {
    await source.close();
  }
}
