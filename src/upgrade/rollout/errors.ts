/**
 * What a rollout refuses. `code` is for programs (the CLI maps it to an exit code, the API to a
 * status), the message for the operator: it names the rollout, the appliances and the way out.
 */
export type RolloutErrorCode =
  /** A wave list, failure threshold, deadline or target list that does not make sense. */
  | 'invalid'
  /** Targets that are not in the inventory: `appliances` lists them. */
  | 'unknownAppliances'
  /** Targets already in a rollout that is not over: `appliances` lists them. */
  | 'conflict'
  /** No rollout with that id (or none at all). */
  | 'notFound'
  /** The rollout's state does not allow it (resuming a finished rollout, running a paused one). */
  | 'state'
  /** Another live process runs this rollout. */
  | 'busy'
  /** While running, another process took the rollout over (this one's lease had gone stale). */
  | 'leaseLost';

export class RolloutError extends Error {
  override readonly name = 'RolloutError';

  constructor(
    readonly code: RolloutErrorCode,
    message: string,
    /** The appliances concerned, for 'unknownAppliances' and 'conflict'. */
    readonly appliances: readonly string[] = [],
  ) {
    super(message);
  }
}
