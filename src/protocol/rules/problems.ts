/**
 * Where a problem in a rule table lies — a path of keys and indexes — and how it is written
 * (`services[0].backends[1].weight`). Shared by the codec, the invariants and the agent's loader.
 */

/** One step into the document: a mapping key or a list index. */
export type PathSegment = string | number;

/** Shown as the path of problems about the whole document (empty file, syntax errors at top level). */
export const ROOT_PATH = '(root)';

/** Where a problem points: at the value (a wrong value) or at the key (a key that does not belong). */
export type Target = 'value' | 'key';

/** A problem found in the parsed document, before it is pinned to a line and column. */
export interface Problem {
  path: PathSegment[];
  message: string;
  target?: Target;
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['services', 0, 'backends', 1, 'weight']` → `services[0].backends[1].weight`. */
export function formatPath(segments: readonly PathSegment[]): string {
  if (segments.length === 0) return ROOT_PATH;
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    // A key an operator typed by mistake may hold anything; quote it so the path stays readable.
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
