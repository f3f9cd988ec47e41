/**
 * Every fuzz target by name with its share of a full run, loaded on demand so that a worker
 * imports only its own target (and the scheduler none).
 */

import type { FuzzTarget } from '../target.js';

export interface TargetEntry {
  name: string;
  /** Inputs in a full run. */
  runs: number;
  /** Rough cost of one input (×0.1 ms on a 2-core machine), to start the slowest targets first. */
  cost: number;
  load: () => Promise<FuzzTarget<unknown>>;
}

const entry = (name: string, runs: number, cost: number, load: () => Promise<{ default: FuzzTarget<unknown> }>): TargetEntry => ({
  name,
  runs,
  cost,
  load: async () => (await load()).default,
});

export const TARGETS: readonly TargetEntry[] = [
  entry('frame-stream', 300_000, 1, () => import('./frame-stream.js')),
  entry('frame-mutated', 60_000, 7, () => import('./frame-mutated.js')),
  entry('payload', 250_000, 1, () => import('./payload.js')),
  entry('rules-codec', 50_000, 6, () => import('./rules-codec.js')),
  entry('rules-patch', 20_000, 13, () => import('./rules-patch.js')),
  entry('rules-yaml', 8_000, 300, () => import('./rules-yaml.js')),
  entry('rules-nesting', 4_000, 150, () => import('./rules-nesting.js')),
  entry('rules-numbers', 20_000, 4, () => import('./rules-numbers.js')),
  entry('counters', 150_000, 2, () => import('./counters.js')),
  entry('history-range', 50_000, 1, () => import('./history-range.js')),
  entry('firmware-image', 120_000, 2, () => import('./firmware-image.js')),
  entry('snmp-set', 50_000, 6, () => import('./snmp-set.js')),
  entry('snmp-agent', 20_000, 11, () => import('./snmp-agent.js')),
  entry('snmp-replay', 5_000, 70, () => import('./snmp-replay.js')),
];

export const DEFAULT_TOTAL = TARGETS.reduce((n, t) => n + t.runs, 0);
