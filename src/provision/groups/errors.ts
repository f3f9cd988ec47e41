/**
 * Errors of failover-group operations (src/provision/groups/). Each code says what the operator
 * can do about it; front ends map them to exit codes or HTTP statuses without parsing messages.
 */
export type GroupErrorCode =
  /** No appliance of the inventory reported this group (as the poller last saw them). */
  | 'unknownGroup'
  /** The group's members cannot do it over their transport (a driver without group control): nothing was sent. */
  | 'unsupported'
  /** The group is not in a state the operation works on (no active member, a member unreachable): nothing was sent. */
  | 'state'
  /** It was tried and did not happen; the message says what the members were left running. */
  | 'failed';

export class GroupError extends Error {
  override readonly name = 'GroupError';

  constructor(
    readonly code: GroupErrorCode,
    message: string,
  ) {
    super(message);
  }
}
