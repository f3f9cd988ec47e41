/**
 * Fuzzes the rule loader and its text-limit scan (src/rules/text-limits.ts) with nesting in and
 * around MAX_NESTING_DEPTH — flow, block, JSON, mixed, aliases expanded — padded up to and just
 * past the size and line limits. Promised, for every text: loadRules gives a canonical table or
 * a RulesError, never a RangeError or anything else (a stack overflow in V8's regexp compiler
 * ends the process, so the limits must stop deep text before any parser sees it); deeper than the
 * limit is refused naming the depth, over the size or line limit as a RulesLimitError('size'),
 * and within every limit never for its depth; each load takes under LOAD_MS; a second load in
 * the same process answers the same (texts up to TWICE_MAX); and the scan's depth is at least
 * what the parser builds.
 */

import { configId, canonicalProblems } from '../../../src/protocol/rules/index.js';
import {
  loadRules,
  MAX_LINES,
  MAX_NESTING_DEPTH,
  MAX_RULE_TEXT_BYTES,
  RulesError,
  RulesLimitError,
  scanRuleText,
  type TextLimit,
} from '../../../src/rules/index.js';
import { depthMessage } from '../../../src/rules/text-limits.js';
import { ensure, expectOnly, target } from '../target.js';
import { nestedText } from './nesting-inputs.js';

const FILE = 'nest.yaml';
/** Generous: the slowest honest 4 MiB text loads in well under a second on a 2-core machine. */
const LOAD_MS = 2_000;
const DEPTH = depthMessage();
const TWICE_MAX = 256 * 1024;

const LIMIT_WORDS: Record<TextLimit, RegExp> = {
  size: /larger than .* bytes|more than \d+ (values|lines)/,
  depth: new RegExp(DEPTH.replace(/[()]/g, '\\$&')),
  aliases: /more than \d+ (aliases|anchors)/,
};

type Outcome = { ok: true; id: string } | { ok: false; error: RulesError };

function load(text: string): { outcome: Outcome; ms: number } {
  const started = performance.now();
  const r = expectOnly(() => loadRules(text, FILE), RulesError);
  const ms = performance.now() - started;
  if (r.error === undefined) {
    const problems = canonicalProblems(r.value);
    ensure(problems.length === 0, () => `loaded a non-canonical table: ${JSON.stringify(problems[0])}`);
    return { outcome: { ok: true, id: configId(r.value) }, ms };
  }
  return { outcome: { ok: false, error: r.error as RulesError }, ms };
}

const describe = (o: Outcome): string =>
  o.ok ? `table ${o.id}` : `${o.error.constructor.name}(${o.error instanceof RulesLimitError ? o.error.limit : ''}): ${o.error.message}`;

/** Refused for nesting: by the scan (a RulesLimitError), or by the parser's own stack check or the alias walk (a RulesError saying so). */
const forDepth = (o: Outcome): boolean =>
  !o.ok && (o.error instanceof RulesLimitError ? o.error.limit === 'depth' : o.error.errors.some((e) => e.message.startsWith(DEPTH)));

/** Lines as the scan counts them: a final line break starts no line. */
const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

export default target({
  name: 'rules-nesting',
  what: 'loadRules and the text-limit scan on nesting around the depth limit (flow, block, JSON, mixed, aliases), padded to the size and line limits: a table or RulesError naming the limit, never a RangeError; deeper than the limit refused, within it never for depth; under 2 s a load; the same answer twice',
  arbitrary: nestedText,
  // One load of a 4 MiB text with an unclosed quote takes about a second here: LOAD_MS is the promise, the runner's default budget is less.
  budgetMs: LOAD_MS + 500,
  check: ({ text, depth, shape }) => {
    const first = load(text);
    ensure(first.ms <= LOAD_MS, () => `${shape}: loading ${text.length} characters took ${Math.round(first.ms)} ms`);
    // What a second load could inherit (a regexp's lastIndex, a cache) shows on small texts as well: big ones are loaded once, to stay in the budget.
    if (text.length <= TWICE_MAX) {
      const again = load(text);
      ensure(
        describe(again.outcome) === describe(first.outcome),
        () => `${shape}: loaded twice, answered ${describe(first.outcome)}, then ${describe(again.outcome)}`,
      );
    }
    const o = first.outcome;

    if (!o.ok) {
      const e = o.error;
      ensure(e.errors.length > 0, 'RulesError without errors');
      for (const each of e.errors) ensure(each.file === FILE && each.line >= 1 && each.column >= 1, () => `error not positioned: ${JSON.stringify(each)}`);
      if (e instanceof RulesLimitError)
        ensure(LIMIT_WORDS[e.limit].test(e.message), () => `${shape}: RulesLimitError(${e.limit}) does not name its limit: ${e.message.slice(0, 300)}`);
    }

    const bytes = Buffer.byteLength(text);
    const over = bytes > MAX_RULE_TEXT_BYTES || lineCount(text) > MAX_LINES;
    if (over) {
      const size = !o.ok && o.error instanceof RulesLimitError && o.error.limit === 'size';
      // Text that is too deep early on may be refused for its depth before the scan reaches the size.
      ensure(
        size || (forDepth(o) && (depth === null || depth > MAX_NESTING_DEPTH)),
        () => `${shape}: ${bytes} bytes, ${lineCount(text)} lines: ${describe(o).slice(0, 300)}`,
      );
      return;
    }
    if (depth === null) return ensure(!o.ok || shape.startsWith('cut'), () => `${shape}: broken text loaded as ${describe(o)}`);
    if (depth > MAX_NESTING_DEPTH) ensure(forDepth(o), () => `${shape}: ${depth} levels deep, not refused for it: ${describe(o).slice(0, 300)}`);
    else ensure(!forDepth(o), () => `${shape}: ${depth} levels deep, within the limit, refused for depth: ${describe(o).slice(0, 300)}`);

    // Invariant of the scan: never shallower than what the parser builds (it counts aliases unexpanded, so only without them).
    const scan = scanRuleText(text);
    if (scan.problem === null && !shape.startsWith('alias') && !shape.startsWith('merge'))
      ensure(scan.depth >= depth, () => `${shape}: the scan read depth ${scan.depth}, the text nests ${depth}`);
  },
});
