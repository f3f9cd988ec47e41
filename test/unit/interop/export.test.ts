import { describe, expect, it } from 'vitest';
import { ExportError, exportConfig, type Format } from '../../../src/interop/index.js';
import { service, table } from './helpers.js';

describe('exportConfig', () => {
  it('refuses a table that is not valid and canonical, listing why', () => {
    const unsorted = table(service({ name: 'b', backends: [{}] }), service({ name: 'a', listen: '127.0.0.1:8001', backends: [{}] }));
    expect(() => exportConfig(unsorted, 'haproxy')).toThrow(ExportError);
    try {
      exportConfig(unsorted, 'haproxy');
    } catch (error) {
      expect((error as ExportError).problems).toEqual([expect.stringContaining('services[1].name')]);
    }
  });

  it('refuses an unknown format', () => {
    expect(() => exportConfig(table(), 'f5' as Format)).toThrow(/unknown format "f5"/);
  });

  it.each(['haproxy', 'keepalived', 'nginx'] as const)('writes %s text and an empty report for a plain table', (format) => {
    const result = exportConfig(table(service({ name: 'web', listen: '10.0.0.1:80', backends: [{ address: '10.0.0.2:80' }] })), format);
    expect(result.format).toBe(format);
    expect(result.text).toContain('10.0.0.2');
    expect(result.report).toEqual([]);
  });
});
