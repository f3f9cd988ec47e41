import type { FirmwareStatus } from '../src/protocol/serial/messages.js';
import type { CountersSnapshot } from '../src/protocol/counters.js';

/** What an appliance says about itself. */
export interface ApplianceInfo {
  model: string;
  serialNumber: string;
  firmware: string;
  configId: string;
  uptimeSeconds: number;
  /** Seconds until an unconfirmed commit reverts; null when none is pending. */
  pendingConfirm: number | null;
  /** The failover group the appliance reports belonging to (console hello, or FULCRUM-MIB fulcrumFailover); absent for a lone appliance. */
  group?: { name: string; unit: number; state: 'active' | 'standby' | 'offline' };
}

export interface PushOptions {
  /** > 0: commit confirmed; the appliance reverts unless `confirm` comes within this time. */
  confirmTimeoutMs: number;
  /**
   * The canonical encoding of the config with this id, if the agent has it (its cache). Asked
   * for the id the appliance runs: with it, the driver sends a patch instead of the whole table.
   */
  baseFor?: ((configId: string) => Uint8Array | null) | undefined;
  /** Called as bytes of the candidate go out: (sent, total). */
  onProgress?: ((sent: number, total: number) => void) | undefined;
  /** Who pushes and why, kept with the config in the appliance's history where the transport carries it. */
  note?: CommitNoteText | undefined;
}

/** Who commits and why (the appliance adds when). */
export interface CommitNoteText {
  /** user@host of the CLI, or an API token's name. */
  by: string;
  /** The push's --message; '' for none. */
  comment: string;
}

/** A config slot other than the running one. */
export type ConfigSlotChoice = { slot: 'startup' } | { slot: 'candidate' } | { slot: 'rollback'; steps: number };

/** One rollback slot as the appliance lists it. */
export interface HistorySlot {
  /** 1: the config before the running one. */
  steps: number;
  configId: string;
  /** Epoch ms of its commit; null when the appliance does not know (committed before it kept notes). */
  at: number | null;
  by: string;
  comment: string;
}

/**
 * The appliance's other config slots and its history, for drivers whose transport reads them
 * (the serial console). An appliance too old for them is a DriverError('refused', …, 'unsupported').
 */
export interface ConfigSlotsDriver {
  readSlot(choice: ConfigSlotChoice): Promise<Uint8Array>;
  history(): Promise<HistorySlot[]>;
}

export function hasConfigSlots(d: ApplianceDriver): d is ApplianceDriver & ConfigSlotsDriver {
  return typeof (d as Partial<ConfigSlotsDriver>).readSlot === 'function';
}

export interface PushResult {
  configId: string;
  previousConfigId: string;
  mode: 'delta' | 'full';
  /** Bytes the agent wrote to the line for this push, framing included, and the handshake too when the push was the connection's first act. */
  bytes: number;
  seconds: number;
}

export type ApplianceEvent =
  | { kind: 'backend-state'; at: number; service: string; address: string; up: boolean }
  | { kind: 'commit'; at: number; configId: string; pendingConfirm: boolean }
  | { kind: 'rollback'; at: number; configId: string; reason: 'confirm-timeout' | 'operator' };

/**
 * One appliance as the agent drives it, whatever the transport (serial console, SNMP).
 * Every change is applied whole or not at all; ids are compared, never text.
 */
export interface ApplianceDriver {
  readonly target: string;
  info(): Promise<ApplianceInfo>;
  /** The running rule table's canonical encoding (the agent decodes and caches it by id). */
  readRunning(): Promise<Uint8Array>;
  push(encoding: Uint8Array, options: PushOptions): Promise<PushResult>;
  confirm(): Promise<{ configId: string }>;
  /** `note`: who rolls back and why, where the transport carries it. */
  rollback(steps: number, note?: CommitNoteText): Promise<{ configId: string }>;
  counters(): Promise<CountersSnapshot>;
  onEvent(listener: (e: ApplianceEvent) => void): () => void;
  close(): Promise<void>;
}

export type DriverErrorCode =
  /** The appliance could not be reached or stopped answering. */
  | 'unreachable'
  /** The appliance refused the request (its error code is in `remote`). */
  | 'refused'
  /** The target string is not understood. */
  | 'badTarget';

export class DriverError extends Error {
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    /** The appliance's own error code, for `refused`. */
    readonly remote?: string,
  ) {
    super(message);
    this.name = 'DriverError';
  }
}

/** The result of an upload into the inactive slot. */
export interface FirmwareUpload {
  /** Image bytes sent now (less than the image when an earlier upload of it was resumed). */
  bytesSent: number;
  /** Where the upload resumed: 0 for a fresh one. */
  resumedFrom: number;
  /** Bytes written to the line, framing included. */
  lineBytes: number;
  slot: 'A' | 'B';
  /** The verified image's version and security counter; '' and 0 where the transport does not report them (SNMP). */
  version: string;
  securityCounter: number;
}

/**
 * Firmware slots, for drivers whose transport carries them (the serial console). Every call is
 * the bootloader's decision on the appliance; a refusal is a DriverError('refused') with the
 * appliance's code (imageRejected, firmwareState, …).
 */
export interface FirmwareDriver {
  firmwareStatus(): Promise<FirmwareStatus>;
  /**
   * Puts `image` into the inactive slot (resuming an earlier upload of it) and has it verified.
   * Over the console the agent sends it; over SNMP the appliance fetches it from `url`.
   */
  uploadFirmware(image: Uint8Array, options?: { onProgress?: (sent: number, total: number) => void; url?: string }): Promise<FirmwareUpload>;
  activateFirmware(): Promise<{ slot: 'A' | 'B'; version: string }>;
  confirmFirmware(): Promise<{ slot: 'A' | 'B'; version: string }>;
  rollbackFirmware(): Promise<{ slot: 'A' | 'B'; version: string }>;
  /** Asks the appliance to restart and waits until it answers again (or `timeoutMs` passes: unreachable). */
  rebootAndWait(timeoutMs: number): Promise<void>;
}

/** What an operator may tell a failover group member: go standby (yield to a peer), offline (out of the election), online (back in). */
export type GroupAction = 'standby' | 'offline' | 'online';

/**
 * Failover membership control, for drivers whose transport carries it (the serial console's
 * groupAction request, FULCRUM-MIB's fulcrumFoAction). A driver without it cannot steer a group member.
 */
export interface GroupControl {
  /** Resolves with the membership right after the action; DriverError('refused', …, 'notInGroup') on a lone appliance. */
  groupAction(action: GroupAction): Promise<NonNullable<ApplianceInfo['group']>>;
}

export function hasGroupControl(d: ApplianceDriver): d is ApplianceDriver & GroupControl {
  return typeof (d as Partial<GroupControl>).groupAction === 'function';
}

export function hasFirmwareSlots(d: ApplianceDriver): d is ApplianceDriver & FirmwareDriver {
  return typeof (d as Partial<FirmwareDriver>).uploadFirmware === 'function';
}
