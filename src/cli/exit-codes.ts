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
} as const;

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
