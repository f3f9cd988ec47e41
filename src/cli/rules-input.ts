import { readFileSync } from 'node:fs';
import type { RuleTable } from '../protocol/rules/model.js';
import { loadRules, RulesError } from '../rules/index.js';
import { CliError, EXIT } from './exit-codes.js';

/** Reads and validates a rule table from a file or standard input ('-'); invalid input exits with code 3. */
export function readRules(file: string): RuleTable {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read: ${(err as Error).message}`, EXIT.invalidInput);
  }
  try {
    return loadRules(text, file === '-' ? '<stdin>' : file);
  } catch (err) {
    if (err instanceof RulesError) throw new CliError(err.message, EXIT.invalidInput);
    throw err;
  }
}
