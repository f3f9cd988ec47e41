/**
 * Each inventory appliance's last known state, as the poller (`fulcrum monitor`, a polling
 * `serve`) saw it: reachable or not, when it last answered, why the last poll failed, and its
 * identity as of that answer (model, firmware, running config id, when a pending commit
 * reverts, the failover group it reports). What `fulcrum appliance list` and `fulcrum group …`
 * show without asking the appliances. Invariants: a row exists only for a name in the
 * inventory and goes with it (ON DELETE CASCADE); a failed poll keeps the identity last read
 * (last known), and a changed target forgets it all; a member's group state that differs from
 * the one stored before is a `failover` event, written in the same transaction as the new state
 * (so a poller that dies in between neither loses the event nor records it twice).
 */

import type { Fence } from './ownership.js';

export type GroupState = 'active' | 'standby' | 'offline';

/** A failover group membership as the appliance reports it (drivers' ApplianceInfo.group). */
export interface GroupMembership {
  name: string;
  unit: number;
  state: GroupState;
}

/** The event kind of a member's group state seen changing between two polls. */
export const FAILOVER_EVENT_KIND = 'failover';

export interface ObservedIdentity {
  model: string;
  firmware: string;
  configId: string;
  /** Seconds until a pending commit reverts, as the appliance said; null when nothing is pending. */
  pendingConfirm: number | null;
  /** Absent or undefined: a lone appliance (or a transport that does not report groups yet). */
  group?: GroupMembership | undefined;
}

export interface StoredApplianceState {
  name: string;
  reachable: boolean;
  /** ms of the last successful poll; null if it never answered. */
  lastPoll: number | null;
  /** ms of the last poll, successful or not. */
  lastAttempt: number;
  /** Why the last poll failed; null after a success. */
  error: string | null;
  model: string | null;
  firmware: string | null;
  configId: string | null;
  /** ms at which the pending commit reverts unless confirmed; null when none was pending. */
  pendingUntil: number | null;
  /** The failover group it reported at its last answer; null for a lone appliance. */
  group: GroupMembership | null;
}

export interface ApplianceStateStore {
  /**
   * A successful poll at `at` (ms) that read this identity. A name not in the inventory is
   * ignored. Returns the failover event recorded (the group state changed since the last
   * answer), else null.
   */
  observed(name: string, at: number, info: ObservedIdentity, fence?: Fence): Promise<{ from: GroupState; to: GroupState; group: string; unit: number } | null>;
  /**
   * A failed poll: unreachable, with why; the identity last read stays. With a `fence` (agents
   * sharing a server store), both writes throw StaleLeaseError once the fence's lease is gone.
   */
  failed(name: string, at: number, error: string, fence?: Fence): Promise<void>;
  /** Forget what was seen (the appliance moved: its old address's state says nothing of the new one). */
  forget(name: string): Promise<void>;
  get(name: string): Promise<StoredApplianceState | null>;
  /** The members of failover group `group`, as last reported, by unit. */
  members(group: string): Promise<StoredApplianceState[]>;
  /** Every appliance polled at least once, by name. */
  all(): Promise<Map<string, StoredApplianceState>>;
}
