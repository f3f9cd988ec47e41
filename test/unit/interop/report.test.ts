import { describe, expect, it } from 'vitest';
import { ExportReport, formatExportOmission, formatOmission, ImportReport } from '../../../src/interop/report.js';

describe('ImportReport', () => {
  it('lists entries in file order, keeping the order of entries on one line', () => {
    const report = new ImportReport('lb.cfg');
    report.omit(9, 'b', 'second on 9');
    report.omit(3, 'a', 'on 3');
    report.omit(9, 'c', 'third on 9');
    expect(report.list().map((o) => `${o.line} ${o.directive}`)).toEqual(['3 a', '9 b', '9 c']);
  });

  it('keeps one copy of an entry reported twice (a defaults line inherited by several proxies)', () => {
    const report = new ImportReport('lb.cfg');
    report.omit(4, 'option httplog', 'logging');
    report.omit(4, 'option httplog', 'logging');
    expect(report.list()).toEqual([{ file: 'lb.cfg', line: 4, directive: 'option httplog', reason: 'logging' }]);
  });

  it('formats as FILE:LINE: directive: reason', () => {
    expect(formatOmission({ file: 'lb.cfg', line: 4, directive: 'option httplog', reason: 'logging' })).toBe('lb.cfg:4: option httplog: logging');
  });
});

describe('ExportReport', () => {
  it('keeps the order of the table and formats as service: field: reason', () => {
    const report = new ExportReport();
    report.omit('web', 'health.rise', 'one');
    report.omit('dns', 'protocol', 'two');
    expect(report.list().map(formatExportOmission)).toEqual(['web: health.rise: one', 'dns: protocol: two']);
  });
});
