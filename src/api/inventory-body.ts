/**
 * The body of `GET /api/v1/appliances`, kept as one JSON text per appliance and joined in runs.
 * At 1,000 appliances the answer is ~250 KB: building 1,000 objects and serializing them on
 * every request was most of the API's CPU while polling (docs/PERFORMANCE.md), whereas
 * between two polls of an appliance its item does not change. Invariant: an appliance's text is
 * reused only while every value it was made from is the same — compared field by field on each
 * request, not trusted to a version someone must remember to bump — so the answer is always the
 * one the schema's serializer would make of the current inventory, fleet state and owners.
 */
import type { Static } from '@sinclair/typebox';
import { credentialKind, type ApplianceRecord } from '../store/inventory.js';
import type { ApplianceState } from './fleet-state.js';
import type { ApplianceItem } from './schemas.js';

type Item = Static<typeof ApplianceItem>;

/** What an item is made of; `owner` undefined when the store has no notion of one. */
interface Source {
  record: ApplianceRecord;
  state: ApplianceState | null;
  owner: string | null | undefined;
}

/** The schema's integers, as its serializer writes them (a fraction truncated). */
const int = (n: number | null): number | null => (n === null || Number.isInteger(n) ? n : Math.trunc(n));

/** One inventory entry as the API shows it: credentials by kind only, state as last known. */
export function applianceItem({ record: r, state, owner }: Source): Item {
  const info = state?.info ?? null;
  return {
    name: r.name,
    address: r.target,
    credentials: credentialKind(r.credentials),
    created: int(r.created)!,
    reachable: state?.reachable ?? null,
    lastPoll: int(state?.lastPoll ?? null),
    error: state?.error ?? null,
    model: info?.model ?? null,
    firmware: info?.firmware ?? null,
    configId: info?.configId ?? null,
    pendingConfirm: int(info?.pendingConfirm ?? null),
    ...(owner !== undefined ? { owner } : {}),
  };
}

interface Kept {
  item: Item;
  /** The item's JSON, UTF-8: joining 1,000 strings and encoding the result cost ~2 ms a request, copying bytes ~0.1 ms. */
  bytes: Buffer;
  /** The request that last used it: entries no request used are dropped. */
  seen: number;
}

/** Consecutive items kept joined, so a poll that changed a few items copies only their runs again. */
interface Run {
  members: readonly Kept[];
  /** The members' JSON joined with commas. */
  bytes: Buffer;
}

/**
 * Items per run. Copying 1,000 small buffers into the answer for every request was a third of
 * the route's CPU at 1,000 appliances; by runs, a request copies at most the runs that changed
 * and ~16 runs, or nothing when no item did (the answer before is sent again: it is never
 * written to once made).
 */
const RUN = 64;

const OPEN = Buffer.from('{"appliances":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

export class InventoryBody {
  private readonly kept = new Map<string, Kept>();
  private request = 0;
  private runs: readonly Run[] = [];
  private body: Buffer = joined([OPEN, CLOSE]);

  /** `{"appliances":[…]}` for `records` in their order, as UTF-8 JSON. */
  render(records: readonly ApplianceRecord[], state: (name: string) => ApplianceState | null, owner?: (name: string) => string | null): Buffer {
    const now = ++this.request;
    const runs: Run[] = [];
    let members: Kept[] = [];
    let same = true;
    let changed = false;
    for (const record of records) {
      const current = state(record.name);
      const by = owner?.(record.name);
      let kept = this.kept.get(record.name);
      if (kept === undefined || !unchanged(kept.item, record, current, by)) {
        const item = applianceItem({ record, state: current, owner: by });
        kept = { item, bytes: Buffer.from(JSON.stringify(item)), seen: now };
        this.kept.set(record.name, kept);
      }
      kept.seen = now;
      if (this.runs[runs.length]?.members[members.length] !== kept) same = false;
      members.push(kept);
      if (members.length === RUN) {
        changed = this.close(runs, members, same) || changed;
        members = [];
        same = true;
      }
    }
    if (members.length > 0) changed = this.close(runs, members, same) || changed;
    if (this.kept.size > records.length) for (const [name, k] of this.kept) if (k.seen !== now) this.kept.delete(name);
    if (!changed && runs.length === this.runs.length) return this.body;
    this.runs = runs;
    this.body = joined([OPEN, ...separated(runs.map((r) => r.bytes)), CLOSE]);
    return this.body;
  }

  /** Appends the run of `members` (the one before when `same` and as long); whether it is new. */
  private close(runs: Run[], members: Kept[], same: boolean): boolean {
    const before = this.runs[runs.length];
    if (same && before !== undefined && before.members.length === members.length) {
      runs.push(before);
      return false;
    }
    runs.push({ members, bytes: joined(separated(members.map((m) => m.bytes))) });
    return true;
  }
}

/** `parts` with a comma between each two. */
function separated(parts: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (out.length > 0) out.push(COMMA);
    out.push(p);
  }
  return out;
}

/** Buffer.concat's copy per part cost more than the copying itself for 2,000 small parts. */
function joined(parts: readonly Buffer[]): Buffer {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every field of an item (a unit test holds it to the schema: a field left out would be served stale). */
export const ITEM_FIELDS = [
  'name',
  'address',
  'credentials',
  'created',
  'reachable',
  'lastPoll',
  'error',
  'model',
  'firmware',
  'configId',
  'pendingConfirm',
  'owner',
] as const;

/**
 * Whether `item` is still what `r`, `state` and `owner` make, read straight from them (no item
 * nor source object built: this runs for every appliance of every request). Field for field as applianceItem.
 */
function unchanged(item: Item, r: ApplianceRecord, state: ApplianceState | null, owner: string | null | undefined): boolean {
  const info = state?.info ?? null;
  return (
    item.name === r.name &&
    item.address === r.target &&
    item.credentials === credentialKind(r.credentials) &&
    item.created === int(r.created) &&
    item.reachable === (state?.reachable ?? null) &&
    item.lastPoll === int(state?.lastPoll ?? null) &&
    item.error === (state?.error ?? null) &&
    item.model === (info?.model ?? null) &&
    item.firmware === (info?.firmware ?? null) &&
    item.configId === (info?.configId ?? null) &&
    item.pendingConfirm === int(info?.pendingConfirm ?? null) &&
    item.owner === owner
  );
}
