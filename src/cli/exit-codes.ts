/** Exit codes of every `fulcrum` command; docs/user-guide.md lists them for scripts. */
export const EXIT = {
  ok: 0,
  /** Something unexpected failed (a bug, or the machine refused: port in use, disk full). */
  failure: 1,
  /** The command line itself is wrong: unknown command or option, missing argument. */
  usage: 2,
  /**
   * An input file is invalid (rule table, image), or a rule table's plan is destructive (it
   * removes every service or more than half of them: most likely the wrong file); nothing was changed.
   */
  invalidInput: 3,
  /** The appliance could not be reached, or stopped answering. */
  unreachable: 4,
  /**
   * The appliance refused the request, or the agent did on its behalf because of the state it
   * is in (a commit pending confirmation that a push would replace); its running config is unchanged.
   */
  refused: 5,
  /**
   * Nothing to act on: the appliance is not in the state the command works on (`rules confirm`
   * with no commit pending: confirmed already, or reverted; `rules rollback` further back than
   * its history). Nothing was changed, and nothing was refused either.
   */
  nothingToDo: 6,
  /** Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it); the message says what state the appliance was left in. */
  interrupted: 130,
} as const;

export type ExitName = keyof typeof EXIT;

/** The name of an exit code, as JSON errors carry it (`{"error": {"code": "unreachable", …}}`). */
export function exitName(code: number): ExitName {
  return (Object.keys(EXIT) as ExitName[]).find((k) => EXIT[k] === code) ?? 'failure';
}

/** The one wording of a name that is not in the inventory (exit 3 wherever a name is taken). */
export function unknownName(name: string): string {
  return `${name}: no such appliance in the inventory (fulcrum appliance list)`;
}

/** The appliance's own error codes that mean "nothing to act on" rather than "refused". */
const NOTHING_TO_DO = new Set(['nothingToConfirm', 'noSuchRollback']);

/** A driver error's exit code, by its kind and the appliance's own code (drivers/driver.ts DriverError). */
export function exitForDriverError(code: string, remote?: string): number {
  if (code === 'unreachable') return EXIT.unreachable;
  if (code === 'refused') return remote !== undefined && NOTHING_TO_DO.has(remote) ? EXIT.nothingToDo : EXIT.refused;
  return EXIT.usage;
}

/** An error that carries its exit code and a message meant for the operator (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
