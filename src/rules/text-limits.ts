/**
 * The bounds on rule text itself, checked by one linear scan before any YAML or JSON parser sees
 * the text: its size, how deep it nests, how many anchors and aliases it holds. A parser that
 * composes nodes recursively must never meet nesting deep enough to exhaust the stack: V8 turns
 * some stack overflows (those inside its regexp compiler) into a fatal error that ends the whole
 * process, so catching RangeError is no defence.
 *
 * Invariant: for every well-formed document the scan's depth is at least the number of nested
 * collections the parser builds (a property test holds it to that). Text the scan reads
 * differently from the parser (broken YAML) is bounded again by the parser's own stack, which
 * yaml-source.ts checks token by token before anything is composed.
 */

import { RulesError, type RuleError } from './errors.js';

/** A rule table of 65,535 services fits in well under this, written compactly; generated tables in block style reach ~15,000 services. */
export const MAX_RULE_TEXT_BYTES = 4 * 1024 * 1024;
/** A valid rule table nests 5 levels (services, a service, backends, a backend, a field); this leaves room for anchors kept aside. */
export const MAX_NESTING_DEPTH = 64;
/**
 * Aliases (`*name`) in one text: a health block shared by 2,000 services is honest use. The YAML
 * library finds each alias's anchor by a search through all of them, quadratic in their number:
 * 2,000 cost 0.1 s, 10,000 cost 3 s.
 */
export const MAX_ALIASES = 2_000;
/** Anchors (`&name`) in one text. */
export const MAX_ANCHORS = 1_000;
/**
 * Values (scalars, collections, list items) in one text. What a table costs to load goes with
 * them, not with bytes: 4 MiB of "x," is 2 million values (a minute and gigabytes to parse and
 * check), where a 4 MiB table written out in full holds ~450,000.
 */
export const MAX_VALUES = 500_000;
/** Lines in one text: a table written one value per line (pretty JSON) takes ~170,000 for 4 MiB; blank and comment lines cost the parser as much as values. */
export const MAX_LINES = 250_000;

export type TextLimit = 'size' | 'depth' | 'aliases';

export interface TextLimits {
  maxBytes: number;
  maxDepth: number;
  maxAliases: number;
  maxAnchors: number;
  maxValues: number;
  maxLines: number;
}

export const RULE_TEXT_LIMITS: Readonly<TextLimits> = {
  maxBytes: MAX_RULE_TEXT_BYTES,
  maxDepth: MAX_NESTING_DEPTH,
  maxAliases: MAX_ALIASES,
  maxAnchors: MAX_ANCHORS,
  maxValues: MAX_VALUES,
  maxLines: MAX_LINES,
};

export interface TextLimitProblem {
  limit: TextLimit;
  /** Where the limit was crossed. */
  offset: number;
  message: string;
}

export interface TextScan {
  /** The deepest nesting seen (collections, block and flow). */
  depth: number;
  /** Values seen (scalars, collections, list items): an estimate of what the parser will build. */
  values: number;
  lines: number;
  problem: TextLimitProblem | null;
}

/** A rule text refused for its size or shape before being parsed; `limit` says which bound. */
export class RulesLimitError extends RulesError {
  constructor(
    readonly limit: TextLimit,
    errors: readonly RuleError[],
  ) {
    super(errors);
  }
}

export const depthMessage = (max = MAX_NESTING_DEPTH): string => `nested more than ${max} levels deep, the most Fulcrum reads (a rule table needs 5)`;

const BYTES_PER_MIB = 1024 * 1024;

function formatBytes(n: number): string {
  return n % BYTES_PER_MIB === 0 ? `${n / BYTES_PER_MIB} MiB (${n} bytes)` : `${n} bytes`;
}

/** Where the text's UTF-8 encoding passes `max` bytes, or -1; reads no further than that. */
function sizeCrossing(text: string, max: number): number {
  if (text.length * 3 <= max) return -1;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > max) return i;
  }
  return -1;
}

/** The first limit `text` breaks, or null. */
export function checkRuleText(text: string, limits: TextLimits = RULE_TEXT_LIMITS): TextLimitProblem | null {
  return scanRuleText(text, limits).problem;
}

export function scanRuleText(text: string, limits: TextLimits = RULE_TEXT_LIMITS): TextScan {
  const crossing = sizeCrossing(text, limits.maxBytes);
  if (crossing >= 0)
    return {
      depth: 0,
      values: 0,
      lines: 0,
      problem: { limit: 'size', offset: crossing, message: `the text is larger than ${formatBytes(limits.maxBytes)}, the limit for a rule table` },
    };
  return new Scanner(text, limits).run();
}

/** 1-based line and column of a character offset (lines end at \n, as the YAML parser counts them). */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: end - start + 1 };
}

/** The RulesLimitError for a problem in `text` named `file`. */
export function limitError(problem: TextLimitProblem, text: string, file: string): RulesLimitError {
  return new RulesLimitError(problem.limit, [{ file, ...positionOf(text, problem.offset), path: '(root)', message: problem.message }]);
}

// Sticky searches for what ends a stretch of text: one regexp pass is far quicker than a call per character.
const LINE_END = /[\n\r]/g;
const DOUBLE_QUOTED_STOP = /["\\\n\r]/g;
const SINGLE_QUOTED_STOP = /['\n\r]/g;
const PLAIN_STOP = /[:#\n\r]/g;

/** The index of the next match of `re` from `from`, or `end`. */
function seek(re: RegExp, text: string, from: number, end: number): number {
  re.lastIndex = from;
  return re.exec(text)?.index ?? end;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/** A block collection the scan is inside: the column it starts at, and whether it is a sequence (`- `). */
interface Open {
  col: number;
  seq: boolean;
}

/**
 * One pass, line by line. Block structure is a stack of the columns where collections start
 * (indentation, `- `, `? `, `: `, keys); flow structure is a bracket count. Quoted scalars, block
 * scalars and comments are skipped the way YAML reads them: a quote, bracket or `|` counts only
 * where a node starts.
 */
class Scanner {
  private readonly n: number;
  private readonly stack: Open[] = [];
  private flow = 0;
  private maxDepth = 0;
  private aliases = 0;
  private anchors = 0;
  private values = 0;
  private lines = 0;
  private problem: TextLimitProblem | null = null;
  /** Inside a quoted scalar that goes on past its line: its quote. */
  private quote: number | null = null;
  /** The column of the node a quoted scalar or flow collection opened in block context started at (it may turn out to be a key). */
  private nodeCol = 0;
  /** Inside a block scalar: the column its parent starts at, and the indentation of its content once known. */
  private block: { parent: number; indent: number | null } | null = null;
  /** Flow context: a node may start here (after `[`, `{`, `,`, `:`). */
  private expectNode = true;
  /** Flow context: just after a quoted scalar or a collection, where `:` needs no space after it. */
  private afterJson = false;
  private lineStart = 0;

  constructor(
    private readonly text: string,
    private readonly limits: TextLimits,
  ) {
    this.n = text.length;
  }

  run(): TextScan {
    let i = this.text.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (i < this.n && this.problem === null) i = this.line(i);
    return { depth: this.maxDepth, values: this.values, lines: this.lines, problem: this.problem };
  }

  private code(i: number): number {
    return i < this.n ? this.text.charCodeAt(i) : LF;
  }

  private eol(i: number): boolean {
    const c = this.code(i);
    return c === LF || c === CR;
  }

  /** A separator after an indicator: space, tab or the end of the line. */
  private sep(i: number): boolean {
    const c = this.code(i);
    return c === SPACE || c === TAB || c === LF || c === CR;
  }

  private skipSpaces(i: number): number {
    while (i < this.n && (this.text.charCodeAt(i) === SPACE || this.text.charCodeAt(i) === TAB)) i++;
    return i;
  }

  /** The index after the line break that ends the line holding `i`. */
  private nextLine(i: number): number {
    i = seek(LINE_END, this.text, i, this.n);
    if (this.code(i) === CR && this.code(i + 1) === LF) return i + 2;
    return i + 1;
  }

  private deepen(offset: number): void {
    const depth = this.stack.length + this.flow;
    if (depth > this.maxDepth) this.maxDepth = depth;
    if (depth > this.limits.maxDepth && this.problem === null) this.problem = { limit: 'depth', offset, message: depthMessage(this.limits.maxDepth) };
  }

  private push(col: number, seq: boolean, offset: number): void {
    this.stack.push({ col, seq });
    this.deepen(offset);
  }

  /** A value starts at `offset`. */
  private value(offset: number): void {
    if (++this.values > this.limits.maxValues && this.problem === null) {
      this.problem = { limit: 'size', offset, message: `more than ${this.limits.maxValues} values (keys, scalars, list items), the limit for a rule table` };
    }
  }

  private openFlow(offset: number): void {
    this.value(offset);
    this.flow++;
    this.expectNode = true;
    this.afterJson = false;
    this.deepen(offset);
  }

  private countAlias(offset: number): void {
    if (++this.aliases > this.limits.maxAliases && this.problem === null) {
      this.problem = { limit: 'aliases', offset, message: `more than ${this.limits.maxAliases} aliases (*name), the limit for a rule table` };
    }
  }

  private countAnchor(offset: number): void {
    if (++this.anchors > this.limits.maxAnchors && this.problem === null) {
      this.problem = { limit: 'aliases', offset, message: `more than ${this.limits.maxAnchors} anchors (&name), the limit for a rule table` };
    }
  }

  /** An anchor, tag or alias name: up to whitespace (and, in flow context, a flow indicator). */
  private skipToken(i: number): number {
    while (i < this.n && !this.sep(i)) {
      const c = this.text.charCodeAt(i);
      if (this.flow > 0 && (c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d)) break;
      i++;
    }
    return i;
  }

  private line(start: number): number {
    this.lineStart = start;
    if (++this.lines > this.limits.maxLines && this.problem === null) {
      this.problem = { limit: 'size', offset: start, message: `more than ${this.limits.maxLines} lines, the limit for a rule table` };
      return this.n;
    }
    if (this.quote !== null) {
      const end = this.quoted(start, this.quote);
      if (end < 0) return this.nextLine(start);
      this.quote = null;
      return this.flow > 0 ? this.flowScan(end) : this.afterNode(end, this.nodeCol);
    }
    if (this.flow > 0) return this.flowScan(start);
    const first = this.skipSpaces(start);
    const indent = first - start;
    const blank = this.eol(first);
    if (this.block !== null) {
      if (blank) return this.nextLine(first);
      if (this.block.indent === null && indent > this.block.parent) this.block.indent = indent;
      if (this.block.indent !== null && indent >= this.block.indent) return this.nextLine(first);
      this.block = null;
    }
    const c = this.code(first);
    if (blank || c === 0x23 /* # */) return this.nextLine(first);
    if (indent === 0 && c === 0x25 /* % directive */) return this.nextLine(first);
    let at = first;
    if (indent === 0 && (this.text.startsWith('---', first) || this.text.startsWith('...', first)) && this.sep(first + 3)) {
      // A new document: the parser starts over (and refuses a second one).
      this.stack.length = 0;
      at = first + 3;
    } else {
      const dash = c === 0x2d && this.sep(first + 1);
      for (;;) {
        const top = this.stack.at(-1);
        // A `- ` at a key's own column is a sequence inside that key's value (YAML's zero-indented sequence).
        if (top !== undefined && (top.col > indent || (top.col === indent && !(dash && !top.seq)))) this.stack.pop();
        else break;
      }
    }
    return this.node(at);
  }

  /** Block context at a place where a node may start. */
  private node(i: number): number {
    for (;;) {
      if (this.problem !== null) return this.nextLine(i);
      i = this.skipSpaces(i);
      if (this.eol(i)) return this.nextLine(i);
      const c = this.text.charCodeAt(i);
      const col = i - this.lineStart;
      if ((c === 0x2d /* - */ || c === 0x3f /* ? */ || c === 0x3a) /* : */ && this.sep(i + 1)) {
        this.value(i);
        this.push(col, c === 0x2d, i);
        i++;
        continue;
      }
      if (c === 0x23 /* # */) return this.nextLine(i);
      if (c === 0x26 /* & */ || c === 0x21 /* ! */) {
        if (c === 0x26) this.countAnchor(i);
        i = this.skipToken(i);
        continue;
      }
      if (c === 0x2a /* * */) {
        this.value(i);
        this.countAlias(i);
        return this.afterNode(this.skipToken(i), col);
      }
      if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
        this.nodeCol = col;
        this.openFlow(i);
        return this.flowScan(i + 1);
      }
      if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
        this.value(i);
        this.nodeCol = col;
        const end = this.quoted(i + 1, c);
        if (end < 0) {
          this.quote = c;
          return this.nextLine(i);
        }
        return this.afterNode(end, col);
      }
      if (c === 0x7c /* | */ || c === 0x3e /* > */) {
        this.value(i);
        // Its content is every following line indented more than the collection it is in.
        this.block = { parent: this.stack.at(-1)?.col ?? -1, indent: null };
        return this.nextLine(i);
      }
      this.value(i);
      return this.plain(i, col);
    }
  }

  /** A plain scalar in block context: a key if `: ` follows it on its line; brackets in it are text. */
  private plain(i: number, col: number): number {
    const start = i;
    for (; !this.eol(i); i++) {
      i = seek(PLAIN_STOP, this.text, i, this.n);
      if (this.eol(i)) break;
      const c = this.text.charCodeAt(i);
      if (c === 0x3a && this.sep(i + 1)) {
        this.push(col, false, start);
        return this.node(i + 1);
      }
      if (c === 0x23 && i > start && (this.text.charCodeAt(i - 1) === SPACE || this.text.charCodeAt(i - 1) === TAB)) return this.nextLine(i);
    }
    return this.nextLine(i);
  }

  /** Block context after a whole node on its line (quoted scalar, alias, flow collection): a key if `:` follows. */
  private afterNode(i: number, col: number): number {
    i = this.skipSpaces(i);
    if (this.code(i) === 0x3a && this.sep(i + 1)) {
      this.push(col, false, i);
      return this.node(i + 1);
    }
    return this.nextLine(i);
  }

  /** The index after the closing quote, or -1 if the scalar goes on past this line. */
  private quoted(i: number, quote: number): number {
    const stop = quote === 0x22 ? DOUBLE_QUOTED_STOP : SINGLE_QUOTED_STOP;
    for (; i < this.n && !this.eol(i); i++) {
      i = seek(stop, this.text, i, this.n);
      if (this.eol(i)) return -1;
      const c = this.text.charCodeAt(i);
      if (quote === 0x22 && c === 0x5c /* \ */) {
        if (this.eol(i + 1)) return -1;
        i++;
      } else if (c === quote) {
        if (quote === 0x27 && this.code(i + 1) === 0x27) i++;
        else return i + 1;
      }
    }
    return -1;
  }

  /** Flow context, to the end of the line or back out to block context. */
  private flowScan(i: number): number {
    for (; this.problem === null && !this.eol(i); i++) {
      const c = this.text.charCodeAt(i);
      if (c === SPACE || c === TAB) continue;
      if (c === 0x5b || c === 0x7b) {
        this.openFlow(i);
        continue;
      }
      if (c === 0x5d || c === 0x7d) {
        this.flow = Math.max(0, this.flow - 1);
        this.expectNode = false;
        this.afterJson = true;
        if (this.flow === 0) return this.afterNode(i + 1, this.nodeCol);
        continue;
      }
      if (c === 0x2c /* , */) {
        this.expectNode = true;
        this.afterJson = false;
        continue;
      }
      if (c === 0x23 && (i === this.lineStart || this.text.charCodeAt(i - 1) === SPACE || this.text.charCodeAt(i - 1) === TAB)) break;
      if (this.expectNode && (c === 0x22 || c === 0x27)) {
        this.value(i);
        const end = this.quoted(i + 1, c);
        this.expectNode = false;
        this.afterJson = true;
        if (end < 0) {
          this.quote = c;
          break;
        }
        i = end - 1;
        continue;
      }
      if (c === 0x3a && (this.afterJson || this.sep(i + 1) || ',[]{}'.includes(this.text[i + 1] ?? ''))) {
        this.expectNode = true;
        this.afterJson = false;
        continue;
      }
      if (this.expectNode && c === 0x3f && this.sep(i + 1)) continue;
      if (this.expectNode && (c === 0x26 || c === 0x21 || c === 0x2a)) {
        if (c === 0x26) this.countAnchor(i);
        if (c === 0x2a) {
          this.value(i);
          this.countAlias(i);
        }
        i = this.skipToken(i) - 1;
        if (c === 0x2a) this.expectNode = false;
        continue;
      }
      if (this.expectNode) this.value(i);
      this.expectNode = false;
      this.afterJson = false;
    }
    return this.nextLine(i);
  }
}
