import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  canonicalProblems,
  CodecError,
  configId,
  decodeRules,
  encodeRules,
  RULES_FORMAT_VERSION,
  RULES_MAGIC,
  type RuleTable,
} from '../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../src/rules/index.js';
import { ruleTable, toDocument } from './arbitraries.js';

/** Decoding either fails with CodecError or yields a table whose encoding is exactly the input. */
function decodesCanonicallyOrRefuses(bytes: Uint8Array): void {
  let table: RuleTable;
  try {
    table = decodeRules(bytes);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(bytes.length);
    return;
  }
  expect(Buffer.from(encodeRules(table)).equals(Buffer.from(bytes))).toBe(true);
}

const shuffled = <T>(items: readonly T[], seed: number): T[] =>
  items
    .map((item, i) => ({ item, key: (i * 2_654_435_761 + seed) % 4_294_967_291 }))
    .sort((a, b) => a.key - b.key)
    .map(({ item }) => item);

describe('rule table codec properties', () => {
  it('generated tables are canonical (checks the generator itself)', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        expect(canonicalProblems(table)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('decode(encode(t)) is t', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        expect(decodeRules(encodeRules(table))).toStrictEqual(table);
      }),
      { numRuns: 500 },
    );
  });

  it('the id does not depend on list order', () => {
    fc.assert(
      fc.property(ruleTable, fc.nat(), (table, seed) => {
        const reordered: RuleTable = {
          services: shuffled(table.services, seed).map((s) => ({ ...s, backends: shuffled(s.backends, seed + 1) })),
        };
        expect(configId(canonicalize(reordered))).toBe(configId(table));
      }),
      { numRuns: 200 },
    );
  });

  it('what an operator writes for a table, as YAML or JSON, loads back to that table', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        const document = toDocument(table);
        expect(loadRules(stringify(document), 'gen.yaml')).toStrictEqual(table);
        expect(loadRules(JSON.stringify(document), 'gen.json')).toStrictEqual(table);
      }),
      { numRuns: 200 },
    );
  });

  it('arbitrary bytes only ever raise CodecError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesCanonicallyOrRefuses), { numRuns: 3_000 });
  });

  it('arbitrary bytes after a valid header only ever raise CodecError', () => {
    const header = Uint8Array.of(...RULES_MAGIC, RULES_FORMAT_VERSION);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (tail) => decodesCanonicallyOrRefuses(Uint8Array.of(...header, ...tail))),
      { numRuns: 3_000 },
    );
  });

  it('mutated valid encodings only ever raise CodecError, or decode to a table that re-encodes to them', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(ruleTable, fc.array(mutation, { minLength: 1, maxLength: 4 }), (table, mutations) => {
        let bytes = Array.from(encodeRules(table));
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0));
          if (m.kind === 'set') bytes[at] = m.value;
          else if (m.kind === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
          else if (m.kind === 'insert') bytes.splice(at, 0, m.value);
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else bytes = bytes.slice(0, at);
        }
        decodesCanonicallyOrRefuses(Uint8Array.from(bytes));
      }),
      { numRuns: 2_000 },
    );
  });
});
