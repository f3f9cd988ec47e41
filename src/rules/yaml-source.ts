/**
 * A parsed rule file that still knows where everything came from, so every problem found later
 * (by the schema, by semantic checks) can be pinned to a line and column of the user's text.
 */

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Pair, type YAMLError } from 'yaml';
import type { PathSegment, Target } from '../protocol/rules/problems.js';

/** A problem about the user's file, positioned by offset. */
export interface SourceProblem {
  path: PathSegment[];
  message: string;
  offset: number;
}

/** Matches toJS's alias expansion budget: enough for honest reuse, not for a billion laughs. */
const MAX_ALIAS_COUNT = 100;

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

  static parse(text: string): ParsedSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      // Duplicates are found below, with a better message and without stopping at the first.
      uniqueKeys: false,
      // Operators share health or backend blocks with anchors and `<<` merges.
      merge: true,
      // Warnings are never printed to the console ('silent' would also drop errors such as a second document).
      logLevel: 'error',
    });
    const source = new YamlSource(text, doc, lines);
    const fatal = doc.errors.map((error) => source.syntaxProblem(error));
    const problems: SourceProblem[] = [];
    if (fatal.length === 0) source.checkStructure(doc.contents, [], fatal, problems);
    return { source, fatal, problems };
  }

  get isEmpty(): boolean {
    return this.doc.contents === null;
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
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

  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** Each mapping's pairs by key (the last one wins), built once: locating many problems in a wide mapping stays linear. */
  private readonly keyIndex = new WeakMap<object, Map<string, Pair>>();

  /** The pair toJS would take the value from: the last one with that key, else one merged in with `<<`. */
  private findPair(map: unknown, key: string, depth = 0): Pair | undefined {
    if (!isMap(map) || depth > MAX_ALIAS_COUNT) return undefined;
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
    // The parser runs out of stack on absurd nesting and says so in engine terms.
    if (/call stack/i.test(error.message)) return 'YAML syntax error: nested too deeply';
    return `YAML syntax error: ${error.message}`;
  }

  /** Duplicate keys, keys that are not plain scalars, and aliases to nothing. */
  private checkStructure(node: unknown, path: PathSegment[], fatal: SourceProblem[], problems: SourceProblem[]): void {
    if (isAlias(node)) {
      if (node.resolve(this.doc) === undefined) {
        fatal.push({ path, message: `alias *${node.source} refers to no anchor defined before it`, offset: rangeStart(node) ?? 0 });
      }
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, index) => this.checkStructure(item, [...path, index], fatal, problems));
      return;
    }
    if (!isMap(node)) return;
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = pair.key;
      const keyOffset = rangeStart(key) ?? rangeStart(node) ?? 0;
      if (isMergeKey(key)) {
        this.checkStructure(pair.value, path, fatal, problems);
        continue;
      }
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        fatal.push({ path, message: 'a mapping key must be a plain word', offset: keyOffset });
        continue;
      }
      const name = String(key.value);
      const first = seen.get(name);
      if (first === undefined) seen.set(name, keyOffset);
      else {
        const { line } = this.position(first);
        problems.push({ path: [...path, name], message: `duplicate key "${name}" (first at line ${line})`, offset: keyOffset });
      }
      this.checkStructure(pair.value, [...path, name], fatal, problems);
    }
  }
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
