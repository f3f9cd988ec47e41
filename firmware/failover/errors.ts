/**
 * The typed errors of failover groups: a message on the heartbeat channel that must be ignored
 * (HeartbeatError, with a code a member counts by) and a group configuration that cannot run
 * (GroupConfigError, naming the field). A refused message is never fatal: the member counts it
 * and carries on, so a stray or hostile datagram cannot take a member down.
 */
import { BytesError } from '../../src/protocol/bytes/index.js';

export type HeartbeatErrorCode =
  /** Not a failover message, truncated, an unknown code, trailing bytes. */
  | 'malformed'
  /** The HMAC does not match: another key, or bytes changed on the way. */
  | 'badMac'
  /** Authentic structure but another group's name. */
  | 'wrongGroup'
  /** Sent on one link, received on another (a copy moved between the UDP path and the cable). */
  | 'wrongLink'
  /** This member's own unit number: a loop, or a peer configured with the same unit. */
  | 'ownUnit'
  /** Epoch and sequence number not above the last accepted from that peer on that link. */
  | 'replay';

export const HEARTBEAT_ERROR_CODES: readonly HeartbeatErrorCode[] = ['malformed', 'badMac', 'wrongGroup', 'wrongLink', 'ownUnit', 'replay'];

export class HeartbeatError extends BytesError {
  override readonly name = 'HeartbeatError';

  constructor(
    readonly code: HeartbeatErrorCode,
    message: string,
    offset = 0,
  ) {
    super(`${code}: ${message}`, offset, 'message byte');
  }
}

/** A group setting out of range; `field` is the setting's name as the configuration spells it. */
export class GroupConfigError extends Error {
  override readonly name = 'GroupConfigError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
