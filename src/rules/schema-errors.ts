/**
 * Schema violations in the operator's terms: the schema's own `errorMessage` where it has one,
 * sharper text where the value says more (which octet is wrong, which unit is missing), and a
 * "did you mean" for typos, which is what unknown keys and bad keywords usually are.
 */

import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { DURATION_PATTERN, durationProblem } from '../protocol/rules/duration.js';
import { ENDPOINT_PATTERN, endpointProblem } from '../protocol/rules/endpoint.js';
import type { PathSegment, Problem } from '../protocol/rules/problems.js';
import { RulesDocument, type ErrorMessage, type ErrorMessageKeyword } from './schema.js';

const KEYWORD_OF: Partial<Record<ValueErrorType, ErrorMessageKeyword>> = {
  [ValueErrorType.Array]: 'type',
  [ValueErrorType.Boolean]: 'type',
  [ValueErrorType.Integer]: 'type',
  [ValueErrorType.Number]: 'type',
  [ValueErrorType.Object]: 'type',
  [ValueErrorType.String]: 'type',
  [ValueErrorType.Literal]: 'const',
  [ValueErrorType.IntegerMinimum]: 'minimum',
  [ValueErrorType.NumberMinimum]: 'minimum',
  [ValueErrorType.IntegerMaximum]: 'maximum',
  [ValueErrorType.NumberMaximum]: 'maximum',
  [ValueErrorType.StringPattern]: 'pattern',
  [ValueErrorType.StringMinLength]: 'minLength',
  [ValueErrorType.StringMaxLength]: 'maxLength',
  [ValueErrorType.ArrayMinItems]: 'minItems',
  [ValueErrorType.ArrayMaxItems]: 'maxItems',
  [ValueErrorType.Union]: 'anyOf',
};

export function schemaProblems(document: unknown): Problem[] {
  if (Value.Check(RulesDocument, document)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  // TypeBox also checks the absent value of a missing key against its schema; "missing" says it all.
  const missing = new Set<string>();
  for (const error of Value.Errors(RulesDocument, document)) {
    if (missing.has(error.path)) continue;
    if (error.type === ValueErrorType.ObjectRequiredProperty) missing.add(error.path);
    const problem = describe(error, toSegments(document, error.path));
    // A string can break minLength and pattern at once; one line per spot and message is enough.
    const key = `${JSON.stringify(problem.path)} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describe(error: ValueError, path: PathSegment[]): Problem {
  const schema = error.schema as { errorMessage?: ErrorMessage; pattern?: string; properties?: object; anyOf?: { const?: unknown }[] };
  const key = String(path[path.length - 1] ?? '');
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { path, message: `missing required key "${key}"` };
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys(schema.properties ?? {}).filter((k) => k !== '$schema');
      const guess = closest(key, known);
      const hint = guess === undefined ? `expected one of: ${known.join(', ')}` : `did you mean "${guess}"?`;
      return { path, message: `unknown key ${JSON.stringify(key)} (${hint})`, target: 'key' };
    }
    default:
      // Every other kind of problem: by the value's pattern, or the message the schema gives.
      break;
  }
  const value = error.value;
  if (schema.pattern === ENDPOINT_PATTERN) {
    if (typeof value === 'string') {
      const problem = endpointProblem(value);
      if (problem !== null) return { path, message: problem };
    }
    if (Array.isArray(value)) return { path, message: 'an IPv6 endpoint must be quoted in YAML, e.g. "[2001:db8::1]:80"' };
  }
  if (schema.pattern === DURATION_PATTERN) {
    if (typeof value === 'number') return { path, message: `${value} has no unit; write "${value}ms" or "${value}s"` };
    if (typeof value === 'string') {
      const problem = durationProblem(value);
      if (problem !== null) return { path, message: problem };
    }
  }
  let message = messageFor(schema.errorMessage, KEYWORD_OF[error.type]) ?? error.message;
  const words = schema.anyOf?.map((variant) => variant.const).filter((c): c is string => typeof c === 'string');
  if (typeof value === 'string' && words !== undefined && words.length === schema.anyOf?.length) {
    const guess = closest(value, words);
    if (guess !== undefined) message += ` (did you mean "${guess}"?)`;
  }
  return { path, message };
}

function messageFor(errorMessage: ErrorMessage | undefined, keyword: ErrorMessageKeyword | undefined): string | undefined {
  if (errorMessage === undefined || typeof errorMessage === 'string') return errorMessage;
  return (keyword === undefined ? undefined : errorMessage[keyword]) ?? errorMessage._;
}

/** JSON Pointer → segments, with list indices as numbers so paths print as `backends[1]`. */
function toSegments(document: unknown, pointer: string): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(key);
      segments.push(index);
      node = node[index];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/** The candidate a typo most likely meant, if any is close enough to be worth suggesting. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const tolerance = Math.max(1, Math.floor((best?.length ?? 0) / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions ("wieght"), the common typing slips. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const previous = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] ?? 0, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
    }
  }
  return rows[a.length]?.[b.length] ?? 0;
}
