/**
 * Rule texts that nest, for the text-limit scan and the loader: flow (`[[[`, `{a: {a:`, JSON),
 * block (indented mappings, `- - -` and indented sequences), the two mixed, and anchors whose
 * aliases nest deeper once expanded — mostly within a few levels of MAX_NESTING_DEPTH, now and
 * then far beyond it. Each text comes with the number of collections a YAML parser would build
 * one inside another (null when the text is broken on purpose), and may be padded with comments
 * up to and just past the size and line limits, in one- to four-byte characters.
 */

import fc from 'fast-check';
import { MAX_LINES, MAX_NESTING_DEPTH, MAX_RULE_TEXT_BYTES } from '../../../src/rules/index.js';

export interface NestedText {
  text: string;
  /** Collections nested one in another once parsed, aliases expanded; null: broken text, no exact answer. */
  depth: number | null;
  shape: string;
}

const depth = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: MAX_NESTING_DEPTH - 6, max: MAX_NESTING_DEPTH + 6 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 1_000_000 }) },
);

const flowSeq = (d: number) => '['.repeat(d) + ']'.repeat(d);
const flowMap = (d: number) => '{a: '.repeat(d) + '1' + '}'.repeat(d);
const jsonMix = (d: number) =>
  Array.from({ length: d }, (_, i) => (i % 2 ? '[' : '{"a":')).join('') + '1' + Array.from({ length: d }, (_, i) => ((d - 1 - i) % 2 ? ']' : '}')).join('');

/** Indented block mappings, `width` spaces a level; the text grows with depth², so the depth is cut to fit. */
function blockMap(d: number, width: number): string {
  return Array.from({ length: d }, (_, i) => `${' '.repeat(i * width)}a:`).join('\n') + ' x';
}

/** A service whose one backend's weight holds the nest: five collections around it. */
const inService = (value: string) => `services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends:\n      - address: 10.0.0.2:80\n        weight: ${value}`;

/** Block-style shapes cost depth² bytes: the deepest that stays within the size limit. */
const blockCap = (width: number) => Math.floor(Math.sqrt((2 * MAX_RULE_TEXT_BYTES) / Math.max(1, width))) - 2;

const shapes: Record<string, (d: number, r: number) => { text: string; depth: number | null }> = {
  'flow-seq': (d) => ({ text: flowSeq(d), depth: d }),
  'flow-map': (d) => ({ text: flowMap(d), depth: d }),
  json: (d) => ({ text: jsonMix(d), depth: d }),
  'json-pretty': (d, r) => {
    const n = Math.min(d, 400);
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
    return { text: JSON.stringify(v, null, 1 + (r % 3)), depth: n };
  },
  'block-map': (d, r) => {
    const w = 1 + (r % 4);
    const n = Math.min(d, blockCap(w));
    return { text: blockMap(n, w), depth: n };
  },
  'block-seq-compact': (d) => ({ text: `${'- '.repeat(d)}x`, depth: d }),
  'block-seq-indented': (d, r) => {
    const w = 1 + (r % 3);
    const n = Math.min(d, blockCap(w + 1));
    return { text: Array.from({ length: n }, (_, i) => `${' '.repeat(i * (w + 1))}-`).join('\n') + ' x', depth: n };
  },
  // Block mappings, then a flow collection as the innermost one's value.
  mixed: (d, r) => {
    const k = Math.min(1 + (r % d), blockCap(2));
    const lines = Array.from({ length: k }, (_, i) => `${' '.repeat(i * 2)}a:`);
    lines[k - 1] += ` ${d > k ? flowSeq(d - k) : 'x'}`;
    return { text: lines.join('\n'), depth: d };
  },
  'in-service': (d) => ({ text: inService(flowSeq(d)), depth: 5 + d }),
  // An anchor of depth a, and an alias to it under b more levels: 1 + b + a once expanded.
  alias: (d, r) => {
    const a = Math.max(1, Math.min(d - 1, 1 + (r % d)));
    const b = Math.max(0, d - 1 - a);
    return { text: `x: &x ${flowSeq(a)}\ny: ${'['.repeat(b)}*x${']'.repeat(b)}`, depth: 1 + a + b };
  },
  // A merge puts the anchor's keys in the mapping, not one level deeper.
  merge: (d) => {
    const a = Math.max(1, d - 2);
    return { text: `x: &x {k: ${flowSeq(a)}}\ny: {<<: *x}`, depth: 2 + a };
  },
  // Brackets inside scalars and comments are text: a valid table however many there are.
  'quoted-decoy': (d) => ({ text: `$schema: "${'['.repeat(Math.min(d, 100_000))}"\nservices: []`, depth: 2 }),
  'block-scalar-decoy': (d) => ({ text: `$schema: |\n  ${'{'.repeat(Math.min(d, 100_000))}\nservices: []`, depth: 2 }),
  'comment-decoy': (d) => ({ text: `# ${'[{'.repeat(Math.min(d, 100_000))}\nservices: []`, depth: 2 }),
  // Broken on purpose: unclosed, closed too often, cut anywhere.
  unclosed: (d) => ({ text: '['.repeat(d), depth: null }),
  overclosed: (d) => ({ text: `${flowMap(d)}${'}'.repeat(1 + (d % 7))}`, depth: null }),
  cut: (d, r) => {
    const t = inService(jsonMix(d));
    return { text: t.slice(0, r % (t.length + 1)), depth: null };
  },
};

const SHAPES = Object.keys(shapes);

/** Comment lines appended to come within one character of `bytes` (UTF-8), `perLine` characters to a line. */
function pad(text: string, bytes: number, char: string, perLine: number): string {
  const unit = Buffer.byteLength(char);
  // Each line costs its "\n#" (2 bytes) and its characters.
  const left = bytes - Buffer.byteLength(text);
  const lineBytes = 2 + perLine * unit;
  const whole = Math.max(0, Math.floor(left / lineBytes));
  const rest = Math.floor((left - whole * lineBytes - 2) / unit);
  return text + `\n#${char.repeat(perLine)}`.repeat(whole) + (rest >= 1 ? `\n#${char.repeat(rest)}` : '');
}

const padding = fc.oneof(
  { weight: 9, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.record({
      // Just under, at and just over the size limit, or anywhere below it.
      bytes: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: MAX_RULE_TEXT_BYTES - 16, max: MAX_RULE_TEXT_BYTES + 16 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1_000, max: MAX_RULE_TEXT_BYTES }) },
      ),
      char: fc.constantFrom('x', 'ü', '€', '😀'),
      // Short lines reach the line limit (MAX_LINES) long before the size limit.
      perLine: fc.constantFrom(4_000, 100_000, Math.ceil(MAX_RULE_TEXT_BYTES / MAX_LINES), 1),
    }),
  },
);

export const nestedText: fc.Arbitrary<NestedText> = fc
  .record({ shape: fc.constantFrom(...SHAPES), depth, r: fc.nat(), padding })
  .map(({ shape, depth: d, r, padding: p }) => {
    const built = shapes[shape]!(d, r);
    // A nest cut to the size limit is broken text: its depth is whatever the cut left.
    let text = built.text.length > MAX_RULE_TEXT_BYTES ? built.text.slice(0, MAX_RULE_TEXT_BYTES) : built.text;
    const cut = text !== built.text;
    if (p) text = pad(text, p.bytes, p.char, p.perLine);
    return { text, depth: cut ? null : built.depth, shape: p ? `${shape}+pad` : shape };
  });
