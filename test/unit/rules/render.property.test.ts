/** renderRules against the loader over generated canonical tables: render then load is the identity, in YAML and JSON. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configId } from '../../../src/protocol/rules/config-id.js';
import { loadRules } from '../../../src/rules/index.js';
import { renderRules } from '../../../src/rules/render.js';
import { ruleTable } from '../protocol/rules/arbitraries.js';

describe('renderRules properties', () => {
  it('loadRules(renderRules(t)) is t, so the config id survives', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        const loaded = loadRules(renderRules(table), 'rendered.yaml');
        expect(loaded).toStrictEqual(table);
        expect(configId(loaded)).toBe(configId(table));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('the JSON form loads back to the same table and config id', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        const loaded = loadRules(renderRules(table, { format: 'json' }), 'rendered.json');
        expect(loaded).toStrictEqual(table);
        expect(configId(loaded)).toBe(configId(table));
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('a header comment changes nothing that is loaded', () => {
    fc.assert(
      fc.property(ruleTable, fc.array(fc.stringMatching(/^[ -~]{0,40}$/), { maxLength: 3 }), (table, header) => {
        expect(configId(loadRules(renderRules(table, { header }), 'rendered.yaml'))).toBe(configId(table));
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
