/** What the bootloader reports about the slots: for the management channels, the CLI and SNMP. */

import { formatVersion } from '../../src/protocol/image/image.js';
import { EMPTY_SLOT, type BootState, type SlotProblem } from './boot-record.js';
import { SLOT_NAMES, type SlotName } from './layout.js';

/**
 * - empty: nothing installed (or unknown content, as slot B of a new box);
 * - writing: an upload into it began and did not finish (it may be resumed);
 * - ready: holds a verified image that is neither confirmed nor activated;
 * - pending: activated: the next boot tries it;
 * - trial: running, not yet confirmed;
 * - confirmed: the permanent image: boots whenever no trial is due;
 * - invalid: its image failed verification or its trial, or is below the anti-rollback minimum (`problem` says which).
 */
export type SlotState = 'empty' | 'writing' | 'ready' | 'pending' | 'trial' | 'confirmed' | 'invalid';

export interface SlotStatus {
  slot: SlotName;
  /** Version of the image the slot holds, when known. */
  version: string | null;
  state: SlotState;
  securityCounter: number | null;
  problem: SlotProblem | null;
  /** rollback() would make this slot the confirmed one. */
  rollbackTarget: boolean;
}

export interface BootStatus {
  /** The image running now; null before boot(). */
  active: { slot: SlotName; version: string; confirmed: boolean } | null;
  slots: SlotStatus[];
  minSecurityCounter: number;
  /** Trial boots left for the pending slot; 0 when none is pending. */
  attemptsLeft: number;
  /** The slot the next boot starts (before any verification fails). */
  nextBoot: SlotName | null;
  /** The slot an upload would write now; null while a trial is pending or running, or before boot(). */
  installTarget: SlotName | null;
  /** An upload that began and did not finish. */
  installing: { slot: SlotName; size: number; sha256: Uint8Array } | null;
}

export interface RunningImage {
  slot: SlotName;
  version: string;
  trial: boolean;
}

export function describeStatus(state: BootState | null, running: RunningImage | null, installTarget: SlotName | null): BootStatus {
  const slots = SLOT_NAMES.map((slot): SlotStatus => {
    const record = state?.slots[slot] ?? EMPTY_SLOT;
    let shown: SlotState = record.state;
    if (state && slot === state.confirmed) shown = 'confirmed';
    else if (running?.slot === slot && running.trial) shown = 'trial';
    else if (state && slot === state.pending) shown = 'pending';
    return {
      slot,
      version: record.image ? formatVersion(record.image.version) : null,
      state: shown,
      securityCounter: record.image?.securityCounter ?? null,
      problem: record.problem,
      rollbackTarget: state !== null && slot !== state.confirmed && record.wasConfirmed && record.state === 'ready',
    };
  });
  return {
    active: running && state ? { slot: running.slot, version: running.version, confirmed: running.slot === state.confirmed } : null,
    slots,
    minSecurityCounter: state?.minSecurityCounter ?? 0,
    attemptsLeft: state?.pending ? state.attemptsLeft : 0,
    nextBoot: state ? (state.pending && state.attemptsLeft > 0 ? state.pending : state.confirmed) : null,
    installTarget,
    installing: state?.install ? { ...state.install, sha256: state.install.sha256.slice() } : null,
  };
}
