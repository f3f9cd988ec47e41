/**
 * Errors about a rule file, in the one format every tool prints them:
 * `FILE:LINE:COL PATH: MESSAGE` (editors and CI annotators recognise the `FILE:LINE:COL` prefix).
 */

export interface RuleError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Like `services[0].backends[1].weight`, or `(root)`. */
  path: string;
  message: string;
}

/** Problems listed in one error at most: enough to fix a file, and the report stays quick to build. */
export const MAX_REPORTED = 200;

export function formatRuleError(error: RuleError): string {
  return `${error.file}:${error.line}:${error.column} ${error.path}: ${error.message}`;
}

/** Everything wrong with one rule file, reported together so the operator fixes it in one pass. */
export class RulesError extends Error {
  override readonly name = 'RulesError';
  readonly errors: readonly RuleError[];

  constructor(errors: readonly RuleError[]) {
    super(errors.map(formatRuleError).join('\n'));
    this.errors = errors;
  }
}
