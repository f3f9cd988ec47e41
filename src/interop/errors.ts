/**
 * Typed errors of import and export. An ImportError always names the file, line and column of the
 * text that could not be read, in the `FILE:LINE:COL: message` form editors and CI annotators
 * recognise; anything the format allows but Fulcrum cannot express is a report entry, not an error.
 */

export class ImportError extends Error {
  override readonly name = 'ImportError';
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** The message without its position. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** The table handed to export is not a valid canonical rule table (load it with loadRules first). */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`not a valid canonical rule table:\n${problems.join('\n')}`);
    this.problems = problems;
  }
}
