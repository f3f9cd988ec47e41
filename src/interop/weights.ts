/**
 * Weights for formats whose schedulers are always weighted (HAProxy, nginx). Import reads equal
 * non-zero weights as the plain algorithm and different ones as the weighted algorithm
 * (draft.ts, byWeights), so export writes weights that read back as the algorithm they came
 * from, and reports when that cannot be: a weighted algorithm with equal weights, or weights
 * beyond the format's range (scaled, keeping their proportions).
 */

import { uniformWeights } from './draft.js';
import type { ExportReport } from './report.js';
import type { Service } from '../protocol/rules/model.js';

const PLAIN = new Set(['round-robin', 'least-connections']);
const WEIGHTED = new Set(['weighted-round-robin', 'weighted-least-connections']);

export function exportWeights(service: Service, maxWeight: number, report: ExportReport): number[] {
  let weights = service.backends.map((b) => b.weight);
  if (PLAIN.has(service.algorithm) && !uniformWeights(weights)) {
    // Fulcrum's plain schedulers treat weight as on/off; the format's would not.
    weights = weights.map((w) => (w > 0 ? 1 : 0));
    report.omit(service.name, 'backends[].weight', `${service.algorithm} ignores weights other than 0; written as 1 so the format does not weigh them`);
  } else if (WEIGHTED.has(service.algorithm) && uniformWeights(weights)) {
    report.omit(
      service.name,
      'algorithm',
      `${service.algorithm} with equal weights behaves like ${service.algorithm.replace('weighted-', '')}, which is what it reads back as`,
    );
  }
  const max = Math.max(...weights);
  if (max > maxWeight) {
    weights = weights.map((w) => (w === 0 ? 0 : Math.max(1, Math.round((w * maxWeight) / max))));
    report.omit(
      service.name,
      'backends[].weight',
      `weights above ${maxWeight} are scaled to 1..${maxWeight}, keeping their proportions as closely as integers allow`,
    );
  }
  return weights;
}
