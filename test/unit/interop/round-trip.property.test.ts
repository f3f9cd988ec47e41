import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configId } from '../../../src/protocol/rules/config-id.js';
import type { RuleTable } from '../../../src/protocol/rules/model.js';
import { exportConfig, formatExportOmission, importConfig, type Format } from '../../../src/interop/index.js';
import { ruleTable } from '../protocol/rules/arbitraries.js';
import { forHaproxy, forKeepalived, forNginx } from './expressible.js';

const PROJECTIONS: Record<Format, (table: RuleTable) => RuleTable> = { haproxy: forHaproxy, keepalived: forKeepalived, nginx: forNginx };

function roundTrip(table: RuleTable, format: Format) {
  const exported = exportConfig(table, format, { runtimeDir: '/tmp/fulcrum-test' });
  const imported = importConfig(exported.text, `exported.${format}`, { from: format });
  return { exported, imported };
}

describe.each(Object.keys(PROJECTIONS) as Format[])('%s round trip', (format) => {
  const project = PROJECTIONS[format];

  it('a table the format can express exports with an empty report and imports to the same config id', () => {
    fc.assert(
      fc.property(ruleTable, (generated) => {
        const table = project(generated);
        expect(project(table), 'the projection is idempotent').toStrictEqual(table);
        const { exported, imported } = roundTrip(table, format);
        expect(exported.report.map(formatExportOmission)).toEqual([]);
        expect(imported.table).toStrictEqual(table);
        expect(configId(imported.table)).toBe(configId(table));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('nothing is lost silently: whenever the id changes, the export report says why', () => {
    fc.assert(
      fc.property(ruleTable, (table) => {
        const { exported, imported } = roundTrip(table, format);
        if (configId(imported.table) !== configId(table)) expect(exported.report.length).toBeGreaterThan(0);
        if (exported.report.length === 0) expect(imported.table).toStrictEqual(table);
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
