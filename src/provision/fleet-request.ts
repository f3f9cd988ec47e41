/**
 * What a fleet push is asked to do, checked before anything is sent: which appliances of the
 * inventory, how many canaries, how long to watch each appliance after its push, and the
 * confirm timeout that keeps every push revertible until it is judged healthy.
 */
import type { ApplianceRecord, Inventory } from '../store/inventory.js';

export type FleetPushErrorCode =
  /** An option out of range, or targets that cannot be used: nothing was sent. */
  | 'invalid'
  /** Target names that are not in the inventory: `appliances` lists them. */
  | 'unknownAppliances';

export class FleetPushError extends Error {
  override readonly name = 'FleetPushError';

  constructor(
    readonly code: FleetPushErrorCode,
    message: string,
    readonly appliances: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A fleet push is always a commit confirmed; this long unless told otherwise (Junos uses 10 min). */
export const DEFAULT_FLEET_CONFIRM_MS = 5 * 60_000;
/** How long an appliance is watched before and after its push. */
export const DEFAULT_SETTLE_MS = 3_000;
export const DEFAULT_CANARIES = 1;
/** Appliances pushed at once after the canaries. */
export const FLEET_CONCURRENCY = 8;
/**
 * The confirm timeout must outlast the check by this much: a commit that reverts by itself
 * while it is being judged would be reported as a failure of the table.
 */
export const CONFIRM_MARGIN_MS = 10_000;

/** Inventory names (in the order given) or 'all' (the inventory, by name) → records. Throws FleetPushError. */
export async function resolveFleetTargets(inventory: Pick<Inventory, 'list'>, targets: readonly string[] | 'all'): Promise<ApplianceRecord[]> {
  const known = await inventory.list();
  if (targets === 'all') {
    if (known.length === 0) throw new FleetPushError('invalid', 'the inventory is empty: add appliances first (fulcrum appliance add)');
    return [...known].sort((a, b) => a.name.localeCompare(b.name));
  }
  if (targets.length === 0) throw new FleetPushError('invalid', 'targets: name at least one appliance');
  const twice = targets.filter((t, i) => targets.indexOf(t) !== i);
  if (twice.length > 0) throw new FleetPushError('invalid', `targets: ${[...new Set(twice)].join(', ')} given more than once`);
  const byName = new Map(known.map((r) => [r.name, r]));
  const unknown = targets.filter((t) => !byName.has(t));
  if (unknown.length > 0) throw new FleetPushError('unknownAppliances', `not in the inventory: ${unknown.join(', ')} (fulcrum appliance list)`, unknown);
  return targets.map((t) => byName.get(t)!);
}

export interface FleetOptions {
  canary: number;
  confirmTimeoutMs: number;
  settleMs: number;
}

/** The options checked together (the confirm timeout must outlast the settle time). Throws FleetPushError('invalid'). */
export function checkFleetOptions(options: FleetOptions): FleetOptions {
  const { canary, confirmTimeoutMs, settleMs } = options;
  if (!Number.isSafeInteger(canary) || canary < 1) throw new FleetPushError('invalid', `canary: ${canary} is not a number of appliances (1 or more)`);
  if (!Number.isSafeInteger(settleMs) || settleMs < 0) throw new FleetPushError('invalid', `settle: ${settleMs} ms is not a duration`);
  if (!Number.isSafeInteger(confirmTimeoutMs) || confirmTimeoutMs <= 0) {
    throw new FleetPushError('invalid', 'confirm timeout: a fleet push is always a commit confirmed; give a duration such as 5m');
  }
  if (confirmTimeoutMs < settleMs + CONFIRM_MARGIN_MS) {
    throw new FleetPushError(
      'invalid',
      `confirm timeout: ${confirmTimeoutMs / 1000} s is too short to watch each appliance for ${settleMs / 1000} s before confirming; give at least ${(settleMs + CONFIRM_MARGIN_MS) / 1000} s`,
    );
  }
  return options;
}
