/** The rows of the SNMP candidate and the candidate state, as candidate.ts keeps them and candidate-values.ts fills them. */

import type { Algorithm, BackendState, Protocol, RuleTable } from '../../../src/protocol/rules/model.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';
import type { ServiceSettings } from '../../../src/protocol/mib/service-settings.js';

/**
 * The settings columns a manager wrote (fulcrumCandServiceEntry 8..20); null where it wrote
 * nothing, which takes the value of the base service of the same name, else the default
 * (candidate-build.ts), as managers that know only columns 2..6 expect.
 */
export type RowSettings = { [K in keyof ServiceSettings]: ServiceSettings[K] | null };

export type RowState = 'active' | 'notInService' | 'notReady';

export interface ServiceRow {
  status: RowState;
  name: string | null;
  listen: string | null;
  protocol: Protocol;
  algorithm: Algorithm;
  /** '' for none. */
  fallback: string;
  settings: RowSettings;
}

export interface BackendRow {
  status: RowState;
  address: string | null;
  weight: number;
  maxConns: number;
  backup: boolean;
  adminState: BackendState;
}

/** A varbind of a SET request; octet strings as bytes. */
export interface SetVarbind {
  oid: Oid;
  type: number;
  value: unknown;
}

export interface CandidateState {
  /** fulcrumCandidateSpinLock: 0..2^31-1, wraps to 0. */
  spinLock: number;
  /** By fulcrumCandServiceIndex. */
  services: ReadonlyMap<number, ServiceRow>;
  /** By service index, then fulcrumCandBackendIndex. */
  backends: ReadonlyMap<number, ReadonlyMap<number, BackendRow>>;
  /** The running table when the candidate was last loaded: where settings the rows were not given come from. */
  base: RuleTable;
}
