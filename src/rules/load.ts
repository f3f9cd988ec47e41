/**
 * Rule file text → canonical RuleTable, or one RulesError listing its problems (the first MAX_REPORTED) with their
 * file, line, column and path.
 *
 * Stages: the text's limits (size, nesting, aliases: a RulesLimitError, before any parser runs),
 * YAML (syntax errors stop here: past them the structure is guesswork), then schema and
 * semantic checks together (both see the whole document, so one run reports everything), then
 * canonical form.
 */

import { readFile } from 'node:fs/promises';
import { toCanonical } from './document.js';
import { MAX_REPORTED, RulesError, type RuleError } from './errors.js';
import { formatPath, type Problem } from '../protocol/rules/problems.js';
import type { RuleTable } from '../protocol/rules/model.js';
import type { RulesDocument } from './schema.js';
import { schemaProblems } from './schema-errors.js';
import { semanticProblems } from './semantic.js';
import { checkRuleText, limitError } from './text-limits.js';
import { YamlSource, type SourceProblem } from './yaml-source.js';

export function loadRules(text: string, file: string): RuleTable {
  const limit = checkRuleText(text);
  if (limit) throw limitError(limit, text, file);
  const { source, fatal, problems } = YamlSource.parse(text);
  const place = (problem: SourceProblem): RuleError => ({
    file,
    ...source.position(problem.offset),
    path: formatPath(problem.path),
    message: problem.message,
  });
  if (fatal.length > 0) throw new RulesError(sorted(fatal.slice(0, MAX_REPORTED).map(place)));
  if (source.isEmpty) {
    throw new RulesError([place({ path: [], message: 'the file is empty; expected a mapping with a "services" list', offset: 0 })]);
  }
  const document = source.toJS();
  const located = (problem: Problem): SourceProblem => ({ ...problem, offset: source.locate(problem.path, problem.target) });
  const checked = [...schemaProblems(document), ...semanticProblems(document)];
  // A file that is wrong everywhere (a generated table gone bad) gets the first MAX_REPORTED
  // problems and a count of the rest: enough to fix it, and the report stays quick to build.
  const shown = checked.slice(0, Math.max(0, MAX_REPORTED - problems.length)).map(located);
  const all = [...problems.slice(0, MAX_REPORTED), ...shown];
  const more = problems.length + checked.length - all.length;
  if (more > 0) all.push({ path: [], message: `… and ${more} more problem${more === 1 ? '' : 's'} not listed`, offset: text.length });
  if (all.length > 0) throw new RulesError(sorted(all.map(place)));
  return toCanonical(document as RulesDocument);
}

export { MAX_REPORTED };

/** Reads `path` as UTF-8; I/O errors (missing file, permissions) propagate unchanged. */
export async function loadRulesFile(path: string): Promise<RuleTable> {
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RulesError([{ file: path, line: 1, column: 1, path: formatPath([]), message: 'the file is not UTF-8 text' }]);
  }
  return loadRules(text, path);
}

/** In file order, the way an editor lists them; stable, so problems at one spot keep their order. */
function sorted(errors: RuleError[]): RuleError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.line - b.error.line || a.error.column - b.error.column || a.index - b.index)
    .map(({ error }) => error);
}
