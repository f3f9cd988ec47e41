import { describe, expect, it } from 'vitest';
import { parseSections } from '../../../../src/interop/haproxy/parse.js';
import { ImportReport } from '../../../../src/interop/report.js';
import { importError } from '../helpers.js';

function parse(text: string) {
  const report = new ImportReport('x.cfg');
  return { sections: parseSections(text, 'x.cfg', report), report: report.list() };
}

describe('HAProxy sections', () => {
  it('gives each section its header and directives, with positions', () => {
    const { sections } = parse('global\n    daemon\nlisten web from base\n    bind :80\n');
    expect(sections.map((s) => [s.kind, s.name, s.line, s.directives.map((d) => `${d.line}:${d.column} ${d.name}`)])).toEqual([
      ['global', null, 1, ['2:5 daemon']],
      ['listen', 'web', 3, ['4:5 bind']],
    ]);
    expect(sections[1]?.extra.map((w) => w.text)).toEqual(['from', 'base']);
  });

  it('refuses a directive before any section, at its position', () => {
    expect(importError(() => parse('  bind :80\nlisten a\n')).message).toMatch(/^x\.cfg:1:3: "bind" is outside any section/);
  });

  it('reads the first branch of .if blocks and reports the rest', () => {
    const { sections, report } = parse('listen a\n.if defined(X)\n    bind :80\n.else\n    bind :81\n.endif\n');
    expect(sections[0]?.directives.map((d) => d.args[0])).toEqual([':80']);
    expect(report.map((o) => o.line)).toEqual([2, 4]);
  });

  it('refuses unbalanced conditional blocks', () => {
    expect(importError(() => parse('listen a\n.endif\n')).message).toMatch(/^x\.cfg:2:1: "\.endif" without "\.if"/);
    expect(importError(() => parse('listen a\n  .if defined(X)\n')).message).toMatch(/^x\.cfg:2:3: this "\.if" block is not closed/);
  });
});
