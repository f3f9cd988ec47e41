import { describe, expect, it } from 'vitest';
import { byWeights, uniformWeights } from '../../../src/interop/draft.js';
import { ExportReport } from '../../../src/interop/report.js';
import { exportWeights } from '../../../src/interop/weights.js';
import { service } from './helpers.js';

describe('the weights rule', () => {
  it('counts only non-zero weights when telling equal from different', () => {
    expect(uniformWeights([3, 3, 0])).toBe(true);
    expect(uniformWeights([0, 0])).toBe(true);
    expect(uniformWeights([1, 2])).toBe(false);
    expect(byWeights([1, 1], 'round-robin', 'weighted-round-robin')).toBe('round-robin');
    expect(byWeights([1, 2], 'least-connections', 'weighted-least-connections')).toBe('weighted-least-connections');
  });

  it('export keeps weights that read back as the same algorithm, or says why not', () => {
    const run = (algorithm: Parameters<typeof service>[0]['algorithm'], weights: number[], max = 256) => {
      const report = new ExportReport();
      const written = exportWeights(service({ algorithm, backends: weights.map((weight) => ({ weight })) }), max, report);
      return { written, report: report.list().map((o) => o.field) };
    };
    expect(run('round-robin', [4, 4, 0])).toEqual({ written: [4, 4, 0], report: [] });
    expect(run('round-robin', [4, 1, 0])).toEqual({ written: [1, 1, 0], report: ['backends[].weight'] });
    expect(run('weighted-round-robin', [4, 1])).toEqual({ written: [4, 1], report: [] });
    expect(run('weighted-round-robin', [2, 2])).toEqual({ written: [2, 2], report: ['algorithm'] });
    expect(run('two-choices', [2, 2])).toEqual({ written: [2, 2], report: [] });
    expect(run('maglev', [1_000, 10, 0], 100)).toEqual({ written: [100, 1, 0], report: ['backends[].weight'] });
  });
});
