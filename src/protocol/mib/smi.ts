/**
 * The SMIv2 value types a MIB view holds, tagged with their ASN.1 BER tags (RFC 3416): the
 * tags are what goes on the wire, and SNMP libraries (net-snmp's ObjectType among them) use the
 * same numbers, so an agent can pass them through.
 */

import type { Oid } from './oid.js';

export const SmiType = {
  Integer: 2,
  OctetString: 4,
  ObjectIdentifier: 6,
  Counter32: 65,
  /** Also Unsigned32: same tag, same range. */
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
} as const;
export type SmiTypeName = keyof typeof SmiType;

/** One variable: its instance OID, its type and its value. Counter64 is a bigint (it exceeds 2^53). */
export type Varbind =
  | { oid: Oid; type: typeof SmiType.Integer; value: number }
  | { oid: Oid; type: typeof SmiType.Counter32 | typeof SmiType.Gauge32 | typeof SmiType.TimeTicks; value: number }
  | { oid: Oid; type: typeof SmiType.Counter64; value: bigint }
  /** Text is UTF-8 on the wire; bytes go as they are. */
  | { oid: Oid; type: typeof SmiType.OctetString; value: string | Uint8Array }
  | { oid: Oid; type: typeof SmiType.ObjectIdentifier; value: Oid };

/** RFC 2579 TruthValue. */
export const TruthValue = { true: 1, false: 2 } as const;

/** RFC 2579 RowStatus. */
export const RowStatus = { active: 1, notInService: 2, notReady: 3, createAndGo: 4, createAndWait: 5, destroy: 6 } as const;

/** RFC 3416 error-status codes a responder uses. */
export const ErrorStatus = {
  noError: 0,
  tooBig: 1,
  genErr: 5,
  noAccess: 6,
  wrongType: 7,
  wrongLength: 8,
  wrongValue: 10,
  noCreation: 11,
  inconsistentValue: 12,
  resourceUnavailable: 13,
  commitFailed: 14,
  undoFailed: 15,
  authorizationError: 16,
  notWritable: 17,
  inconsistentName: 18,
} as const;
export type ErrorStatusName = keyof typeof ErrorStatus;
