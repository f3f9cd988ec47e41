/**
 * `fulcrum appliance list`: each inventory appliance with its state — from the store (as the
 * poller last saw it) or, with --live, as it answers now. The JSON items carry the fields of the
 * API's appliance list (GET /api/v1/appliances, src/api/routes/appliances.ts) under the same
 * names, so one script reads both. Secrets never appear: only which kind of credentials is stored.
 */
import type { ApplianceInfo } from '../../drivers/driver.js';
import type { StoredApplianceState } from '../store/appliance-state.js';
import { credentialKind, type ApplianceRecord } from '../store/inventory.js';
import { table } from './output.js';

/** One appliance as the API's list gives it. */
export interface InventoryItem {
  name: string;
  address: string;
  credentials: string;
  created: number;
  /** At the last poll (or the live read); null before the first. */
  reachable: boolean | null;
  /** ms of the last successful poll (or the live read). */
  lastPoll: number | null;
  error: string | null;
  model: string | null;
  firmware: string | null;
  configId: string | null;
  /** Seconds until an unconfirmed commit reverts, as of now. */
  pendingConfirm: number | null;
  /** The agent polling it now; absent in a live read (which asks the appliance, not the store). */
  owner?: string | null;
}

const base = (r: ApplianceRecord) => ({ name: r.name, address: r.target, credentials: credentialKind(r.credentials), created: r.created });

/** What the store knows; a pending commit's seconds left are counted to `now`. */
/** `owner`: the agent polling it now (its lease holder; the store's poller on a SQLite file), as the API's list names it. */
export function storedItem(r: ApplianceRecord, s: StoredApplianceState | null, now: number, owner: string | null = null): InventoryItem {
  return {
    ...base(r),
    reachable: s?.reachable ?? null,
    lastPoll: s?.lastPoll ?? null,
    error: s?.error ?? null,
    model: s?.model ?? null,
    firmware: s?.firmware ?? null,
    configId: s?.configId ?? null,
    pendingConfirm: s?.pendingUntil == null ? null : Math.max(0, Math.ceil((s.pendingUntil - now) / 1000)),
    owner,
  };
}

/** The fields of an item that come from the inventory alone. */
export type InventoryEntry = Pick<InventoryItem, 'name' | 'address' | 'credentials' | 'created'>;

/** What the appliance answered just now, or why it did not. */
export function liveItem(r: ApplianceRecord, answer: { info: ApplianceInfo } | { error: string }, now: number): InventoryItem {
  return liveEntry(base(r), answer, now);
}

/** The same from an entry of a remote agent's list (which never holds the credentials themselves). */
export function liveEntry(entry: InventoryEntry, answer: { info: ApplianceInfo } | { error: string }, now: number): InventoryItem {
  const b = { name: entry.name, address: entry.address, credentials: entry.credentials, created: entry.created };
  if ('error' in answer)
    return { ...b, reachable: false, lastPoll: null, error: answer.error, model: null, firmware: null, configId: null, pendingConfirm: null };
  const i = answer.info;
  return {
    ...b,
    reachable: true,
    lastPoll: now,
    error: null,
    model: i.model,
    firmware: i.firmware,
    configId: i.configId,
    pendingConfirm: i.pendingConfirm,
  };
}

/** "12s ago", "5m ago", "3h ago", "2d ago". */
export function ago(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

function state(i: InventoryItem): string {
  return i.reachable === null ? 'not polled yet' : i.reachable ? 'reachable' : 'UNREACHABLE';
}

/** The table, then each unreachable appliance's error on a line of its own (errors are long). */
export function inventoryTable(items: readonly InventoryItem[], now: number, live: boolean): string {
  const rows = items.map((i) => [
    i.name,
    i.address,
    state(i),
    i.firmware ?? '-',
    i.configId === null ? '-' : i.configId.slice(0, 12),
    i.pendingConfirm === null ? '-' : `reverts in ${i.pendingConfirm}s`,
    live ? 'now' : ago(i.lastPoll, now),
  ]);
  const errors = items.filter((i) => i.error !== null).map((i) => `${i.name}: ${i.error}`);
  return [table(['name', 'address', 'state', 'firmware', 'config id', 'pending confirm', 'last poll'], rows), ...errors].join('\n');
}
