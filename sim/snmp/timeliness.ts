/**
 * RFC 3414 timeliness as a pure decision: may this (authoritative) SNMP engine process an
 * incoming SNMPv3 message, given its own snmpEngineID, snmpEngineBoots and snmpEngineTime and
 * the message's msgAuthoritativeEngineID, -Boots and -Time?
 *
 * Section 3.2 step 3: a message naming another engine (or none, as discovery does) is refused
 * with unknownEngineID, whatever its security level. Step 7a: an authenticated message is refused
 * with notInTimeWindow when the local snmpEngineBoots has latched at its maximum, when the boots
 * differ, or when the times differ by more than 150 s. Together they make a captured message
 * worthless once the window has passed, the engine has restarted, or it is sent to another engine.
 */

/** RFC 3414 section 2.2.3. */
export const TIME_WINDOW_S = 150;
/** snmpEngineBoots and snmpEngineTime are 0..2^31-1 (RFC 3411 SNMP-FRAMEWORK-MIB). */
export const ENGINE_MAX = 2 ** 31 - 1;

export interface LocalEngine {
  /** snmpEngineID, hex. */
  engineId: string;
  boots: number;
  /** Seconds since snmpEngineBoots last changed. */
  time: number;
}

export interface IncomingTimes {
  /** msgAuthoritativeEngineID, hex ('' in a discovery request). */
  engineId: string;
  boots: number;
  time: number;
  /** Whether the message was authenticated (step 7 applies to authenticated messages only). */
  authenticated: boolean;
}

export type Timeliness = 'ok' | 'unknownEngineId' | 'notInTimeWindow';

export function timeliness(local: LocalEngine, message: IncomingTimes): Timeliness {
  if (message.engineId.toLowerCase() !== local.engineId.toLowerCase()) return 'unknownEngineId';
  if (!message.authenticated) return 'ok';
  // A latched engine accepts no authenticated message until it is given new keys (section 2.2.2).
  if (local.boots >= ENGINE_MAX) return 'notInTimeWindow';
  if (message.boots !== local.boots) return 'notInTimeWindow';
  if (Math.abs(message.time - local.time) > TIME_WINDOW_S) return 'notInTimeWindow';
  return 'ok';
}
