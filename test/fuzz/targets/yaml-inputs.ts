/**
 * Rule-file texts for the loader: valid tables written out and then damaged character by
 * character, and the classic attacks on YAML parsers — absurd nesting, very wide documents,
 * huge numbers, alias expansion bombs, odd tags — plus plain random text.
 */

import fc from 'fast-check';
import { stringify } from 'yaml';
import { ruleTable, toDocument } from '../../unit/protocol/rules/arbitraries.js';

/**
 * Keep every generated file under this many characters: the size of a big but honest rule file
 * (2,000 services with two backends each take ~230 KB and load in well under a second).
 */
export const MAX_TEXT = 192 * 1024;

export const written = fc.tuple(ruleTable, fc.constantFrom('block', 'flow', 'json')).map(([table, style]) => {
  const doc = toDocument(table);
  if (style === 'json') return JSON.stringify(doc, null, 1);
  return stringify(doc, style === 'flow' ? { collectionStyle: 'flow' } : {});
});

/** Pieces that mean something to a YAML parser, or to the schema, or to neither. */
const TOKENS = [
  ':',
  ': ',
  '- ',
  '-',
  '[',
  ']',
  '{',
  '}',
  ',',
  '? ',
  '|',
  '|-',
  '>',
  '#',
  '"',
  "'",
  '\n',
  '\r\n',
  '\t',
  '  ',
  '\\',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '<<: *a',
  '<<: [*a, *b]',
  '!!str ',
  '!!int ',
  '!!binary ',
  '!!set ',
  '!!omap ',
  '!!timestamp ',
  '!custom ',
  '!<tag:x> ',
  '---\n',
  '...\n',
  '%YAML 1.2\n---\n',
  '%TAG ! tag:x,2000:\n---\n',
  '\u0000',
  '\uFEFF',
  '\u2028',
  '\uD800',
  '😀',
  'ü',
  '1e400',
  '-1e400',
  '1e-400',
  '.inf',
  '-.inf',
  '.nan',
  '0x7fffffffffffffff',
  '0o777',
  '0b101',
  '-0',
  '1_000',
  '99999999999999999999999999',
  '2e5',
  '65535.0000001',
  '+1',
  '~',
  'null',
  'true',
  'y',
  'NO',
] as const;

type Edit =
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; length: number; token: string }
  | { kind: 'line'; at: number; op: 'duplicate' | 'drop' | 'indent' | 'dedent' | 'swap' };

const at = fc.nat({ max: 1 << 16 });
const token = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...TOKENS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at, token }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('replace' as const), at, length: fc.integer({ min: 1, max: 8 }), token }),
  fc.record({
    kind: fc.constant('line' as const),
    at,
    op: fc.constantFrom('duplicate' as const, 'drop' as const, 'indent' as const, 'dedent' as const, 'swap' as const),
  }),
);

function applyEdit(text: string, e: Edit): string {
  const i = e.at % (text.length + 1);
  switch (e.kind) {
    case 'insert':
      return text.slice(0, i) + e.token + text.slice(i);
    case 'delete':
      return text.slice(0, i) + text.slice(i + e.length);
    case 'replace':
      return text.slice(0, i) + e.token + text.slice(i + e.length);
    case 'line': {
      const lines = text.split('\n');
      const n = e.at % lines.length;
      const line = lines[n]!;
      if (e.op === 'duplicate') lines.splice(n, 0, line);
      else if (e.op === 'drop') lines.splice(n, 1);
      else if (e.op === 'indent') lines[n] = `  ${line}`;
      else if (e.op === 'dedent') lines[n] = line.replace(/^ {1,2}/, '');
      else if (n + 1 < lines.length) [lines[n], lines[n + 1]] = [lines[n + 1]!, line];
      return lines.join('\n');
    }
  }
}

export const damaged = fc.tuple(written, fc.array(edit, { minLength: 1, maxLength: 5 })).map(([text, edits]) => edits.reduce(applyEdit, text));

/** A number field of a valid table rewritten as something no integer field can hold. */
export const hugeNumbers = fc
  .tuple(
    written.filter((t) => /: \d+$/m.test(t)),
    fc.nat(),
    fc.constantFrom(
      '1e400',
      '-1e400',
      '1e-400',
      '.inf',
      '-.inf',
      '.nan',
      '0x' + 'f'.repeat(40),
      '9'.repeat(400),
      '-' + '9'.repeat(30),
      '4294967296',
      '65536',
      '1.5',
      '0o77777777777777',
      '1_0',
    ),
  )
  .map(([text, n, value]) => {
    const matches = [...text.matchAll(/: (\d+)$/gm)];
    const m = matches[n % matches.length]!;
    const start = m.index + 2;
    return text.slice(0, start) + value + text.slice(start + m[1]!.length);
  });

/** Nesting far deeper than any rule file: in flow and block style, at the root or under services. */
export const deep = fc
  .record({
    depth: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 200, max: 10_000 }) }),
    style: fc.constantFrom('flow-seq', 'flow-map', 'block-seq', 'block-map', 'mixed'),
    under: fc.boolean(),
  })
  .map(({ depth, style, under }) => {
    let body: string;
    if (style === 'flow-seq') body = '['.repeat(depth) + ']'.repeat(depth);
    else if (style === 'flow-map') body = '{a: '.repeat(depth) + '1' + '}'.repeat(depth);
    else if (style === 'mixed') body = '[{a: '.repeat(depth) + '1' + '}]'.repeat(depth);
    else {
      // Block nesting costs its indentation: cap the depth so the text stays within MAX_TEXT.
      const d = Math.min(depth, 350);
      body = Array.from({ length: d }, (_, i) => ' '.repeat(i * 2 + (under ? 2 : 0)) + (style === 'block-seq' ? '-' : 'a:')).join('\n') + ' x';
      return under ? `services:\n${body}` : body;
    }
    return (under ? 'services: ' : '') + body.slice(0, MAX_TEXT);
  });

/** Whole lines up to MAX_TEXT: a cut line would make a syntax error, which the parser refuses early. */
function withinSize(lines: string[]): string {
  let size = 0;
  let n = 0;
  while (n < lines.length && size + lines[n]!.length + 1 <= MAX_TEXT) size += lines[n++]!.length + 1;
  return lines.slice(0, Math.max(1, n)).join('\n').slice(0, MAX_TEXT);
}

/** Very wide documents: many keys, many services, many backends, many duplicate keys. */
export const wide = fc
  .record({
    count: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 300, max: 16_000 }) }),
    shape: fc.constantFrom('root-keys', 'service-keys', 'services', 'backends', 'duplicates', 'flow-list'),
  })
  .map(({ count, shape }) => {
    const lines: string[] = [];
    if (shape === 'root-keys') for (let i = 0; i < count; i++) lines.push(`k${i}: ${i}`);
    if (shape === 'service-keys') {
      lines.push('services:', '  - name: web', '    listen: 10.0.0.1:80', '    backends: [{address: 10.0.0.2:80}]');
      for (let i = 0; i < count; i++) lines.push(`    x${i}: ${i}`);
    }
    if (shape === 'services') {
      lines.push('services:');
      for (let i = 0; i < count; i++)
        lines.push(`  - {name: s${i}, listen: "10.${(i >> 8) & 255}.${i & 255}.1:80", backends: [{address: 10.9.9.9:${(i % 65_000) + 1}}]}`);
    }
    if (shape === 'backends') {
      lines.push('services:', '  - name: web', '    listen: 10.0.0.1:80', '    backends:');
      for (let i = 0; i < count; i++) lines.push(`      - {address: "10.1.${(i >> 8) & 255}.${i & 255}:80", weight: ${i % 70_000}}`);
    }
    if (shape === 'duplicates') for (let i = 0; i < count; i++) lines.push('services: []');
    if (shape === 'flow-list') lines.push(`services: [${Array.from({ length: count }, (_, i) => `{n: ${i}}`).join(', ')}]`);
    return withinSize(lines);
  });

/** Billion laughs and friends: each level refers `width` times to the one before it. */
export const aliases = fc
  .record({
    levels: fc.integer({ min: 1, max: 12 }),
    width: fc.integer({ min: 1, max: 12 }),
    shape: fc.constantFrom('list', 'map', 'merge', 'chain', 'under-services', 'self', 'forward'),
  })
  .map(({ levels, width, shape }) => {
    const name = (i: number) => `l${i}`;
    const lines: string[] = [];
    if (shape === 'self') return 'a: &a [*a]\nservices: *a';
    if (shape === 'forward') return 'services:\n  - *later\n  - &later {name: x}';
    if (shape === 'chain') {
      lines.push('m0: &m0 {name: web, listen: "10.0.0.1:80"}');
      for (let i = 1; i < levels * width * 4; i++) lines.push(`m${i}: &m${i} {<<: *m${i - 1}, k${i}: ${i}}`);
      lines.push(`services: [*m${levels * width * 4 - 1}]`);
      return lines.join('\n');
    }
    lines.push(
      `${name(0)}: &${name(0)} ${shape === 'map' || shape === 'merge' ? '{name: web, listen: "10.0.0.1:80", backends: [{address: 10.0.0.2:80}]}' : '[x]'}`,
    );
    for (let i = 1; i <= levels; i++) {
      const refs = Array.from({ length: width }, () => `*${name(i - 1)}`);
      if (shape === 'map') lines.push(`${name(i)}: &${name(i)} {${refs.map((r, j) => `k${j}: ${r}`).join(', ')}}`);
      else if (shape === 'merge') lines.push(`${name(i)}: &${name(i)} {<<: [${refs.join(', ')}], k: ${i}}`);
      else lines.push(`${name(i)}: &${name(i)} [${refs.join(', ')}]`);
    }
    lines.push(shape === 'under-services' ? `services: [{name: a, listen: "10.0.0.1:80", backends: *${name(levels)}}]` : `services: *${name(levels)}`);
    return lines.join('\n');
  });

/** Tags a rule file never needs: the loader must still answer with a positioned error. */
export const tagged = fc
  .record({
    tag: fc.constantFrom('!!binary', '!!set', '!!omap', '!!pairs', '!!timestamp', '!!float', '!!map', '!!seq', '!custom', '!<tag:yaml.org,2002:int>'),
    size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 64, max: 40_000 })),
    where: fc.constantFrom('root', 'services', 'weight'),
  })
  .map(({ tag, size, where }) => {
    const content =
      tag === '!!binary'
        ? 'QUJD'.repeat(Math.ceil(size / 4)).slice(0, size)
        : tag === '!!timestamp'
          ? '2001-12-14t21:59:43.10-05:00'
          : tag === '!!set' || tag === '!!omap' || tag === '!!pairs'
            ? '[a, b]'
            : 'x';
    if (where === 'root') return `${tag} ${content}`;
    if (where === 'services') return `services: ${tag} ${content}`;
    return `services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends: [{address: 10.0.0.2:80, weight: ${tag} ${content}}]`;
  });

const yamlChars = fc.constantFrom(...':-[]{}&*!|>\'"#%@,?`\n\t  ab1._'.split(''), 'services', 'backends', 'name', 'listen', 'weight');
export const random = fc.oneof(fc.string({ unit: 'binary', maxLength: 2_000, size: 'large' }), fc.string({ unit: yamlChars, maxLength: 1_000, size: 'large' }));

export const ruleText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: damaged },
  { weight: 2, arbitrary: written },
  { weight: 2, arbitrary: hugeNumbers },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: wide },
  { weight: 2, arbitrary: aliases },
  { weight: 1, arbitrary: tagged },
  { weight: 3, arbitrary: random },
);
