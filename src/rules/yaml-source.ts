/**
 * A parsed rule file that still knows where everything came from, so every problem found later
 * (by the schema, by semantic checks) can be pinned to a line and column of the user's text.
 *
 * Invariant: nothing here recurses deeper than MAX_NESTING_DEPTH (plus a few frames). The text
 * was scanned first (text-limits.ts); the parser's stack is checked again lexeme by lexeme before
 * anything is composed, and aliases are followed once, by a pass that refuses those that would
 * nest deeper or expand the document further than the limits once toJS shares their values out.
 */

import {
  Composer,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  YAMLParseError,
  type Alias,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
} from 'yaml';
import type { PathSegment, Target } from '../protocol/rules/problems.js';
import { MAX_REPORTED } from './errors.js';
import { depthMessage, MAX_NESTING_DEPTH } from './text-limits.js';

/** A problem about the user's file, positioned by offset. */
export interface SourceProblem {
  path: PathSegment[];
  message: string;
  offset: number;
}

/** How far `<<` merges are followed looking for a key: merges of merges, not a chain through every anchor. */
const MAX_MERGE_DEPTH = 100;

/** The nodes aliases may stand for in all, once expanded: a health block shared by thousands of services, not a billion laughs. */
export const MAX_ALIAS_NODES = 100_000;

/** The parser's stack holds the document and the scalar being read besides the collections. */
const MAX_PARSER_STACK = MAX_NESTING_DEPTH + 2;

/** What a node amounts to once its aliases are expanded: how deep it nests, how many nodes it stands for. */
interface Shape {
  height: number;
  nodes: number;
}

/** The walk that follows aliases: anchors seen so far (the last one of a name wins, as in YAML), and what each anchored node amounts to. */
interface AliasWalk {
  anchors: Map<string, Node>;
  shapes: Map<Node, Shape>;
  /** Anchored nodes being walked: an alias to one of them is inside it. */
  open: Set<Node>;
  /** Nodes aliases have added so far. */
  expanded: number;
  /** Set once a limit is hit, so it is reported once. */
  stopped: boolean;
}

/** Thrown from the token stream when the parser's stack grows past the limit; caught in parse(). */
class TooDeep extends Error {
  constructor(readonly offset: number) {
    super('too deep');
  }
}

/** Deeper than any valid path (`services[0].backends[1].address`), shallow enough to stay readable. */
const MAX_PATH_DEPTH = 8;

export interface ParsedSource {
  source: YamlSource;
  /** Problems after which the document's structure cannot be trusted (syntax errors and the like). */
  fatal: SourceProblem[];
  /** Problems that leave the structure usable, so checking can go on and report everything at once. */
  problems: SourceProblem[];
}

export class YamlSource {
  private constructor(
    private readonly text: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** `text` must have passed checkRuleText (text-limits.ts). */
  static parse(text: string): ParsedSource {
    const lines = new LineCounter();
    let doc: Document.Parsed;
    try {
      doc = compose(text, lines);
    } catch (err) {
      if (!(err instanceof TooDeep)) throw err;
      // Text the scan read as shallower than the parser does: refused all the same, before composing.
      const source = new YamlSource(text, compose('', new LineCounter()), lines);
      return { source, fatal: [{ path: [], message: depthMessage(), offset: err.offset }], problems: [] };
    }
    const source = new YamlSource(text, doc, lines);
    // Only those that will be reported: placing one costs a walk down the document.
    const fatal = doc.errors.slice(0, MAX_REPORTED).map((error) => source.syntaxProblem(error));
    const problems: SourceProblem[] = [];
    if (fatal.length === 0) {
      const walk: AliasWalk = { anchors: new Map(), shapes: new Map(), open: new Set(), expanded: 0, stopped: false };
      source.checkStructure(doc.contents, [], 0, walk, fatal, problems);
    }
    return { source, fatal, problems };
  }

  get isEmpty(): boolean {
    return this.doc.contents === null;
  }

  /**
   * The document as plain values. Aliases were bounded by checkStructure (depth and expansion,
   * in one linear pass), so toJS's own alias count is off: it costs a walk of the whole document
   * for each alias inside an anchor, quadratic on a big file.
   */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: -1 });
  }

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(Math.min(Math.max(offset, 0), this.text.length));
    return { line, column: col };
  }

  /**
   * The offset of the node at `path`; if the path leads nowhere (a missing key), the offset of the
   * deepest node that exists on the way, i.e. the mapping the key is missing from.
   */
  locate(path: readonly PathSegment[], target: Target = 'value'): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const [i, segment] of path.entries()) {
      node = this.resolve(node);
      let next: unknown;
      let keyOffset: number | undefined;
      if (isMap(node)) {
        const pair = this.findPair(node, String(segment));
        next = pair?.value;
        keyOffset = rangeStart(pair?.key);
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      if (next === undefined && keyOffset === undefined) return offset;
      const isLast = i === path.length - 1;
      if (isLast && target === 'key' && keyOffset !== undefined) return keyOffset;
      // `weight:` with nothing after it has a null value node without a range: point at the key.
      offset = rangeStart(next) ?? keyOffset ?? offset;
      node = next;
    }
    return offset;
  }

  /**
   * The path of the deepest node around `offset`, for problems that come with an offset only.
   * Stops well below any depth a rule file has, so absurd nesting does not make an absurd path.
   */
  pathAt(offset: number): PathSegment[] {
    const path: PathSegment[] = [];
    let node: unknown = this.doc.contents;
    while (path.length < MAX_PATH_DEPTH) {
      let next: { segment: PathSegment; node: unknown } | undefined;
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = pair.key;
          if (!isScalar(key) || typeof key.value === 'symbol') continue;
          if (contains(key, offset) || contains(pair.value, offset)) next = { segment: String(key.value), node: pair.value };
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          if (contains(item, offset)) next = { segment: index, node: item };
        });
      }
      if (next === undefined) return path;
      path.push(next.segment);
      node = next.node;
    }
    return path;
  }

  /** Each alias's node, found once by checkStructure (Alias.resolve walks the whole document every time). */
  private readonly targets = new Map<Alias, Node>();

  private resolve(node: unknown): unknown {
    return isAlias(node) ? this.targets.get(node) : node;
  }

  /** Each mapping's pairs by key (the last one wins), built once: locating many problems in a wide mapping stays linear. */
  private readonly keyIndex = new WeakMap<object, Map<string, Pair>>();

  /** The pair toJS would take the value from: the last one with that key, else one merged in with `<<`. */
  private findPair(map: unknown, key: string, depth = 0): Pair | undefined {
    if (!isMap(map) || depth > MAX_MERGE_DEPTH) return undefined;
    const pairs = map.items;
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of pairs) if (isScalar(pair.key) && typeof pair.key.value !== 'symbol') index.set(String(pair.key.value), pair);
      this.keyIndex.set(map, index);
    }
    const direct = index.get(key);
    if (direct) return direct;
    for (const pair of pairs) {
      if (!isMergeKey(pair.key)) continue;
      const value = this.resolve(pair.value);
      const sources = isSeq(value) ? value.items.map((item) => this.resolve(item)) : [value];
      for (const merged of sources) {
        const found = this.findPair(merged, key, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  private syntaxProblem(error: YAMLError): SourceProblem {
    const offset = error.pos[0];
    const path = error.code === 'MULTIPLE_DOCS' ? [] : this.pathAt(offset);
    return { path, message: this.explain(error), offset };
  }

  private explain(error: YAMLError): string {
    const at = error.pos[0];
    // `listen: [::1]:80` reads as a flow list followed by junk: the usual IPv6 mistake.
    if (this.text[at] === ':' && this.text[at - 1] === ']') {
      return 'YAML syntax error: an IPv6 endpoint must be quoted, e.g. "[2001:db8::1]:80"';
    }
    if (error.code === 'MULTIPLE_DOCS') return 'YAML syntax error: a rule file holds one document (found a second "---")';
    return `YAML syntax error: ${error.message}`;
  }

  /**
   * Duplicate keys, keys that are not plain scalars, aliases to nothing or to the node they are
   * in; and what each node amounts to with its aliases expanded, refused past the limits.
   * `depth` is how many collections hold `node`.
   */
  private checkStructure(node: unknown, path: PathSegment[], depth: number, walk: AliasWalk, fatal: SourceProblem[], problems: SourceProblem[]): Shape {
    if (isAlias(node)) return this.followAlias(node, path, depth, walk, fatal);
    const anchored = hasAnchor(node) ? node : null;
    if (anchored) {
      walk.anchors.set(anchored.anchor!, anchored);
      walk.open.add(anchored);
    }
    let shape: Shape = { height: 0, nodes: 1 };
    if (isSeq(node)) {
      let height = 0;
      node.items.forEach((item, index) => {
        const child = this.checkStructure(item, [...path, index], depth + 1, walk, fatal, problems);
        height = Math.max(height, child.height);
        shape.nodes += child.nodes;
      });
      shape.height = 1 + height;
    } else if (isMap(node)) {
      shape = this.checkMap(node.items as Pair[], rangeStart(node) ?? 0, path, depth, walk, fatal, problems);
    }
    if (anchored) {
      walk.open.delete(anchored);
      walk.shapes.set(anchored, shape);
    }
    return shape;
  }

  private checkMap(
    pairs: Pair[],
    mapOffset: number,
    path: PathSegment[],
    depth: number,
    walk: AliasWalk,
    fatal: SourceProblem[],
    problems: SourceProblem[],
  ): Shape {
    const shape: Shape = { height: 1, nodes: 1 };
    const seen = new Map<string, number>();
    for (const pair of pairs) {
      const key = pair.key;
      const keyOffset = rangeStart(key) ?? mapOffset;
      if (isMergeKey(key)) {
        // `<<: *a` puts a's keys into this mapping: as deep as a itself, not one level more.
        const value = pair.value;
        const sources = isSeq(value) ? value.items : [value];
        for (const merged of sources) {
          const child = this.checkStructure(merged, path, depth, walk, fatal, problems);
          shape.height = Math.max(shape.height, child.height);
          shape.nodes += child.nodes;
        }
        continue;
      }
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        fatal.push({ path, message: 'a mapping key must be a plain word', offset: keyOffset });
        continue;
      }
      if (key.anchor) walk.anchors.set(key.anchor, key);
      const name = String(key.value);
      const first = seen.get(name);
      if (first === undefined) seen.set(name, keyOffset);
      else {
        const { line } = this.position(first);
        problems.push({ path: [...path, name], message: `duplicate key "${name}" (first at line ${line})`, offset: keyOffset });
      }
      const child = this.checkStructure(pair.value, [...path, name], depth + 1, walk, fatal, problems);
      shape.height = Math.max(shape.height, 1 + child.height);
      shape.nodes += 1 + child.nodes;
    }
    return shape;
  }

  /** The node an alias stands for, as YAML finds it: the last anchor of that name before it. */
  private followAlias(node: Alias, path: PathSegment[], depth: number, walk: AliasWalk, fatal: SourceProblem[]): Shape {
    const offset = rangeStart(node) ?? 0;
    const target = walk.anchors.get(node.source);
    if (target === undefined) {
      fatal.push({ path, message: `alias *${node.source} refers to no anchor defined before it`, offset });
      return { height: 0, nodes: 1 };
    }
    this.targets.set(node, target);
    if (walk.open.has(target)) {
      fatal.push({ path, message: `alias *${node.source} refers to the node it is in`, offset });
      return { height: 0, nodes: 1 };
    }
    const shape = walk.shapes.get(target) ?? { height: 0, nodes: 1 };
    walk.expanded += shape.nodes;
    if (walk.stopped) return shape;
    if (depth + shape.height > MAX_NESTING_DEPTH) {
      walk.stopped = true;
      fatal.push({ path, message: `${depthMessage()} once alias *${node.source} is expanded`, offset });
    } else if (walk.expanded > MAX_ALIAS_NODES) {
      walk.stopped = true;
      fatal.push({ path, message: `aliases expand to more than ${MAX_ALIAS_NODES} nodes, the limit for a rule table`, offset });
    }
    return shape;
  }
}

/**
 * parseDocument's steps (lexer, parser, composer), with the parser's stack checked after every
 * lexeme: the composer recurses once per level of what the parser built.
 */
function compose(text: string, lines: LineCounter): Document.Parsed {
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer({
    // Duplicates are found by checkStructure, with a better message and without stopping at the first.
    uniqueKeys: false,
    // Operators share health or backend blocks with anchors and `<<` merges.
    merge: true,
    // Warnings are never printed to the console ('silent' would also drop errors such as a second document).
    logLevel: 'error',
  });
  // Text that is wrong everywhere (4 MiB of "]") makes an error per token: stop reading past
  // what a report shows, rather than build millions of them.
  let errors = 0;
  function* tokens() {
    lines.addNewLine(0);
    for (const lexeme of new Lexer().lex(text)) {
      for (const token of parser.next(lexeme)) {
        yield token;
        if (token.type === 'error' && ++errors > MAX_REPORTED) return;
      }
      if (parser.stack.length > MAX_PARSER_STACK) throw new TooDeep(parser.offset);
    }
    yield* parser.end();
  }
  let doc: Document.Parsed | undefined;
  // The parser's errors need no stack trace, and capturing one for each costs more than the parse.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const next of composer.compose(tokens(), true, text.length)) {
      if (doc === undefined) doc = next;
      else {
        doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
        break;
      }
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  // compose(…, forceDoc) always yields a document, for empty text too.
  return doc!;
}

function hasAnchor(node: unknown): node is Node & { anchor: string } {
  return node !== null && typeof node === 'object' && typeof (node as { anchor?: unknown }).anchor === 'string';
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as { range?: [number, number, number] | null }).range;
  return range?.[0];
}

function contains(node: unknown, offset: number): boolean {
  if (node === null || typeof node !== 'object' || !('range' in node)) return false;
  const range = (node as { range?: [number, number, number] | null }).range;
  return range != null && range[0] <= offset && offset <= range[2];
}
