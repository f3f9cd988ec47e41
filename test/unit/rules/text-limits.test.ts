/**
 * The rule loader's limits on the text it is given (size, nesting, aliases), checked before any
 * YAML or JSON parser sees the text: hostile nesting used to kill the whole process (a stack
 * overflow inside V8's regexp compiler is fatal, not a catchable RangeError).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Lexer, LineCounter, Parser, stringify } from 'yaml';

// Counts every use of the parser (it delegates to the real one), so a test can say "refused
// before any parse".
const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof import('yaml')>();
  class CountingParser extends yaml.Parser {
    constructor(...args: ConstructorParameters<typeof yaml.Parser>) {
      super(...args);
      parses.count++;
    }
  }
  class CountingLexer extends yaml.Lexer {
    constructor() {
      super();
      parses.count++;
    }
  }
  return {
    ...yaml,
    Parser: CountingParser,
    Lexer: CountingLexer,
    parseDocument: (...args: Parameters<typeof yaml.parseDocument>) => {
      parses.count++;
      return yaml.parseDocument(...args);
    },
  };
});

import { loadRules, RulesError } from '../../../src/rules/index.js';
import {
  checkRuleText,
  MAX_ALIASES,
  MAX_LINES,
  MAX_NESTING_DEPTH,
  MAX_RULE_TEXT_BYTES,
  MAX_VALUES,
  RulesLimitError,
  scanRuleText,
} from '../../../src/rules/text-limits.js';

const UNLIMITED = { maxBytes: Infinity, maxDepth: Infinity, maxAliases: Infinity, maxAnchors: Infinity, maxValues: Infinity, maxLines: Infinity };

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** `{"a":[[[…]]]}`: the body that took `fulcrum serve` down. */
const deepJson = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

function refusal(text: string, file = 'rules.yaml'): RulesError {
  try {
    loadRules(text, file);
  } catch (err) {
    if (err instanceof RulesError) return err;
    throw err;
  }
  throw new Error('loaded');
}

describe('hostile nesting in a fresh process', () => {
  it('loadRules twice on 5,000-deep JSON refuses it both times and the process lives on', () => {
    const rules = pathToFileURL(path.join(ROOT, 'src/rules/index.ts')).href;
    const script = `
      import { loadRules, RulesError } from ${JSON.stringify(rules)};
      const text = '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
      const out = [];
      for (let i = 0; i < 2; i++) {
        try { loadRules(text, 'deep.json'); out.push('loaded'); }
        catch (err) { out.push(err instanceof RulesError ? err.message : 'other: ' + err); }
      }
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect({ status: child.status, signal: child.signal, stderr: child.stderr.slice(0, 300) }).toEqual({ status: 0, signal: null, stderr: '' });
    const out = JSON.parse(child.stdout) as string[];
    expect(out).toHaveLength(2);
    for (const message of out) expect(message).toMatch(new RegExp(`^deep\\.json:1:\\d+ \\(root\\): nested more than ${MAX_NESTING_DEPTH} levels deep`));
  });
});

describe('limits checked before the parser', () => {
  beforeEach(() => {
    parses.count = 0;
  });

  it('refuses deep flow nesting without parsing, at the line and column where it goes too deep', () => {
    const error = refusal(deepJson(5000), 'deep.json');
    expect(parses.count).toBe(0);
    expect(error).toBeInstanceOf(RulesLimitError);
    expect((error as RulesLimitError).limit).toBe('depth');
    // `{` is level 1, so the 64th `[` after `{"a":` is level 65.
    expect(error.errors).toEqual([
      {
        file: 'deep.json',
        line: 1,
        column: 5 + MAX_NESTING_DEPTH,
        path: '(root)',
        message: expect.stringContaining(`nested more than ${MAX_NESTING_DEPTH} levels deep`),
      },
    ]);
  });

  it('refuses deep block nesting (indentation, sequences in sequences) without parsing', () => {
    const block = Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' x\n';
    expect(refusal(block).errors[0]!.message).toMatch(/nested more than 64 levels/);
    const dashes = `services:\n  ${'- '.repeat(300)}x\n`;
    expect(refusal(dashes).errors[0]!.message).toMatch(/nested more than 64 levels/);
    const mixed = `services:\n${Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i + 1)}- [`).join('\n')}`;
    expect(refusal(mixed).errors[0]).toMatchObject({ path: '(root)', message: expect.stringMatching(/nested more than 64 levels/) });
    expect(parses.count).toBe(0);
  });

  it('refuses text over 4 MiB without parsing, pointing at where the limit is crossed', () => {
    const line = '# padding padding padding padding padding padding padding padding\n';
    const text = `services: []\n${line.repeat(Math.ceil(MAX_RULE_TEXT_BYTES / line.length) + 1)}`;
    const error = refusal(text, 'big.yaml') as RulesLimitError;
    expect(parses.count).toBe(0);
    expect(error.limit).toBe('size');
    expect(error.errors[0]!.message).toMatch(/larger than 4 MiB \(4194304 bytes\)/);
    expect(error.errors[0]!.line).toBeGreaterThan(60_000);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = `services: [] # ${'ü'.repeat(MAX_RULE_TEXT_BYTES / 2)}`;
    expect(text.length).toBeLessThan(MAX_RULE_TEXT_BYTES);
    expect(checkRuleText(text)).toMatchObject({ limit: 'size' });
  });

  it('refuses more aliases than the limit without parsing', () => {
    const text = `x: &h {type: tcp}\nlist: [${Array(MAX_ALIASES + 1)
      .fill('*h')
      .join(', ')}]\n`;
    expect(refusal(text).errors[0]!.message).toMatch(new RegExp(`more than ${MAX_ALIASES} aliases`));
    expect(parses.count).toBe(0);
  });

  it('refuses more values or lines than a table of the largest size holds, without parsing', () => {
    const flood = refusal(`services: [${'x,'.repeat(MAX_VALUES)}x]`) as RulesLimitError;
    expect(flood.limit).toBe('size');
    expect(flood.errors[0]!.message).toMatch(new RegExp(`more than ${MAX_VALUES} values`));
    const blank = refusal(`services: []\n${'#\n'.repeat(MAX_LINES)}`) as RulesLimitError;
    expect(blank.errors[0]).toMatchObject({ line: MAX_LINES + 1, message: expect.stringMatching(new RegExp(`more than ${MAX_LINES} lines`)) });
    expect(parses.count).toBe(0);
  });

  it('passes the largest tables written out in full: block YAML, JSON, pretty JSON, each just under 4 MiB', () => {
    const services = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `svc-${i}`,
        listen: `10.0.${i >> 8}.${i & 255}:80`,
        algorithm: 'weighted-round-robin',
        health: { type: 'http', path: '/healthz', interval: '2s', timeout: '1s' },
        backends: [
          { address: `192.168.${i >> 8}.${i & 255}:8080`, weight: 3 },
          { address: `192.169.${i >> 8}.${i & 255}:8080`, weight: 1, backup: true },
        ],
      }));
    for (const text of [
      stringify({ services: services(13_000) }, { collectionStyle: 'block' }),
      JSON.stringify({ services: services(15_000) }),
      JSON.stringify({ services: services(10_000) }, null, 1),
    ]) {
      expect(text.length).toBeGreaterThan(3.5 * 1024 * 1024);
      expect(checkRuleText(text)).toBeNull();
    }
  });

  it('lets every honest table through to the parser', () => {
    const text =
      'services:\n  - name: web\n    listen: 10.0.0.1:80\n    health: &h { type: tcp, interval: 2s, timeout: 1s }\n    backends:\n      - { address: "[2001:db8::1]:80", weight: 2 }\n  - name: api\n    listen: 10.0.0.1:81\n    health: *h\n    backends: [{ address: 10.0.0.3:80 }]\n';
    expect(loadRules(text, 'ok.yaml').services).toHaveLength(2);
    expect(parses.count).toBeGreaterThan(0);
  });

  it('ignores brackets and indentation inside quoted and block scalars and comments', () => {
    const noise = '['.repeat(200);
    const text = [
      `# ${noise}`,
      'services:',
      '  - name: web',
      `    listen: "${noise}"`,
      `    x-note: '${noise} it''s fine'`,
      '    x-text: |',
      `      ${noise}`,
      `          ${'- '.repeat(100)}`,
      '    backends: [{ address: 10.0.0.3:80 }]',
    ].join('\n');
    expect(checkRuleText(text)).toBeNull();
  });
});

describe('limits on what the parser builds', () => {
  it('refuses aliases that nest deeper than the limit through their anchors', () => {
    // Each anchor is 8 deep and refers to the one before: 10 links make 80 levels once expanded.
    const lines = ['a0: &a0 [[[[[[[[x]]]]]]]]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [[[[[[[[*a${i - 1}]]]]]]]]`);
    lines.push('services: *a9');
    expect(checkRuleText(lines.join('\n'))).toBeNull();
    const error = refusal(lines.join('\n'));
    expect(error.errors[0]!.message).toMatch(/nested more than 64 levels deep/);
  });

  it('refuses an alias inside its own anchor', () => {
    expect(refusal('a: &a [*a]\nservices: *a').errors[0]!.message).toMatch(/alias \*a refers to the node it is in/);
  });

  it('refuses aliases that stand for too much once expanded, quickly', () => {
    // 1,500 aliases, each to a 200-node anchor: 300,000 nodes from 8 KB of text.
    const big = `{${Array.from({ length: 100 }, (_, i) => `k${i}: v`).join(', ')}}`;
    const text = `x: &big ${big}\nlist: [${Array(1500).fill('*big').join(', ')}]\n`;
    const started = performance.now();
    expect(refusal(text).errors[0]!.message).toMatch(/aliases expand to more than 100000 nodes/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('the scan never reads less nesting than the parser builds', () => {
  /** The deepest the parser's own stack goes, lexeme by lexeme: the document, each collection, the scalar on top. */
  function parserDepth(text: string): number {
    const parser = new Parser(new LineCounter().addNewLine);
    let max = 0;
    for (const lexeme of new Lexer().lex(text)) {
      for (const _ of parser.next(lexeme));
      max = Math.max(max, parser.stack.length);
    }
    return max;
  }

  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constantFrom('[x', 'a: b', '- c', '"q', "it's", '#h', '{', '&a', '*b', 'x\n[y', '|', '? k')),
      tie('list'),
      tie('map'),
    ),
    list: fc.array(tie('node'), { maxLength: 3 }),
    map: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('node'), { maxKeys: 3 }),
  })).node;

  it('for YAML and JSON written in any style', () => {
    fc.assert(
      fc.property(value, fc.constantFrom('block', 'flow', 'json', 'json-pretty'), fc.nat({ max: 3 }), (v, style, indent) => {
        const text =
          style === 'json'
            ? JSON.stringify(v)
            : style === 'json-pretty'
              ? JSON.stringify(v, null, indent + 1)
              : stringify(v, { collectionStyle: style === 'flow' ? 'flow' : 'any', indent: indent + 1 });
        // The document and the scalar being read sit on the parser's stack besides the collections.
        expect(scanRuleText(text, UNLIMITED).depth).toBeGreaterThanOrEqual(parserDepth(text) - 2);
      }),
      { numRuns: 500 },
    );
  });
});
