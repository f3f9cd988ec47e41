import type { ErrorCodeName } from '../../src/protocol/serial/messages.js';

/**
 * Errors of the configuration database. Each carries a stable `code` so the serial command
 * server and the SNMP agent can map it to a wire status without parsing messages (the names are
 * those of the serial protocol's ErrorCode); the message is for the operator.
 */

/**
 * The wire's error codes (src/protocol/serial/messages.ts): the configuration database uses
 * invalidConfig, noCandidate, nothingToConfirm, noSuchRollback, applyFailed, storage and
 * badRequest; the transfer and read paths of the management channels the others.
 */
export type MgmtErrorCode = ErrorCodeName;

export class MgmtError extends Error {
  override readonly name = 'MgmtError';

  constructor(
    readonly code: MgmtErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
