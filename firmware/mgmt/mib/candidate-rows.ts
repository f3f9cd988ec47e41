/** The rows of the SNMP candidate as candidate.ts keeps them and candidate-values.ts fills them. */

import type { Algorithm, BackendState, Protocol } from '../../../src/protocol/rules/model.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';

export type RowState = 'active' | 'notInService' | 'notReady';

export interface ServiceRow {
  status: RowState;
  name: string | null;
  listen: string | null;
  protocol: Protocol;
  algorithm: Algorithm;
  /** '' for none. */
  fallback: string;
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
