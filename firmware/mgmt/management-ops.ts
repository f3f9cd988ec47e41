import type { GroupAction, GroupMembership, Identity } from '../../src/protocol/serial/messages.js';
import type { FirmwareOps } from './firmware-ops.js';
import type { HistoryEntry } from '../../src/protocol/serial/payload-config-slots.js';

/**
 * What the management channels (serial console, SNMP) may do to the appliance. The channels
 * translate their wire formats to these calls; the appliance implements them once. A refusal
 * is an MgmtError (./errors.ts) whose code goes on the wire as it is.
 */
export interface ManagementOps {
  identity(): Identity;
  runningEncoding(): Uint8Array;
  candidateEncoding(): Uint8Array | null;
  /** The confirmed config a boot runs. */
  startupEncoding(): Uint8Array;
  /** Rollback `steps` (1: the config before the running one); null past the history's end. */
  rollbackEncoding(steps: number): Uint8Array | null;
  /** The rollback slots, most recent first, with who committed each, when and why. */
  history(): HistoryEntry[];
  /** The counters, encoded (src/protocol/counters.ts). */
  countersEncoding(): Uint8Array;
  /** Decodes and keeps a candidate; returns its config id (32 bytes). */
  setCandidate(encoding: Uint8Array): Promise<Uint8Array>;
  /** `note`: who commits and why, kept with the config in the history. */
  commit(confirmTimeoutMs: number, note?: CommitNoteText): Promise<{ configId: Uint8Array; previousId: Uint8Array }>;
  confirm(): Promise<{ configId: Uint8Array }>;
  rollback(steps: number, note?: CommitNoteText): Promise<{ configId: Uint8Array }>;
  /**
   * An operator action on the failover membership, answered with the membership after it;
   * MgmtError('notInGroup') on an appliance in no group, MgmtError('failoverState') when the
   * member's state does not allow it (firmware/failover/action-refusal.ts; nothing moves then).
   */
  groupAction(action: GroupAction): GroupMembership;
  /** Firmware slots and reboot; null on a box booted without a bootloader (unit tests, tools). */
  firmware: FirmwareOps | null;
}

/** What a channel says about a commit; the appliance adds the time. */
export interface CommitNoteText {
  by: string;
  comment: string;
}
