import type { Identity } from '../../src/protocol/serial/messages.js';
import type { FirmwareOps } from './firmware-ops.js';

/**
 * What the management channels (serial console, SNMP) may do to the appliance. The channels
 * translate their wire formats to these calls; the appliance implements them once. A refusal
 * is an MgmtError (./errors.ts) whose code goes on the wire as it is.
 */
export interface ManagementOps {
  identity(): Identity;
  runningEncoding(): Uint8Array;
  candidateEncoding(): Uint8Array | null;
  /** The counters, encoded (src/protocol/counters.ts). */
  countersEncoding(): Uint8Array;
  /** Decodes and keeps a candidate; returns its config id (32 bytes). */
  setCandidate(encoding: Uint8Array): Promise<Uint8Array>;
  commit(confirmTimeoutMs: number): Promise<{ configId: Uint8Array; previousId: Uint8Array }>;
  confirm(): Promise<{ configId: Uint8Array }>;
  rollback(steps: number): Promise<{ configId: Uint8Array }>;
  /** Firmware slots and reboot; null on a box booted without a bootloader (unit tests, tools). */
  firmware: FirmwareOps | null;
}
