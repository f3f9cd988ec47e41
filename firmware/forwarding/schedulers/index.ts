import { DEFAULTS, type Algorithm } from '../../../src/protocol/rules/model.js';
import type { PoolView, Random, Scheduler, SchedulerFactory } from '../scheduler.js';
import { leastConnections } from './least-connections.js';
import { leastResponseTime } from './least-response-time.js';
import { maglev } from './maglev.js';
import { roundRobin } from './round-robin.js';
import { twoChoices } from './two-choices.js';
import { weightedLeastConnections } from './weighted-least-connections.js';
import { weightedRoundRobin } from './weighted-round-robin.js';

/** A Record over `Algorithm`, so adding a name to the protocol without a scheduler fails to compile. */
export const SCHEDULERS: Readonly<Record<Algorithm, SchedulerFactory>> = {
  'round-robin': roundRobin,
  'weighted-round-robin': weightedRoundRobin,
  'least-connections': leastConnections,
  'weighted-least-connections': weightedLeastConnections,
  'two-choices': twoChoices,
  'least-response-time': leastResponseTime,
  maglev,
};

export interface SchedulerInit {
  random: Random;
  /** maglev: lookup table size, a prime; defaults to 65,537. */
  tableSize?: number;
}

/**
 * The scheduler for one tier of a service's backends. Call `update` with the candidate set
 * before the first `pick` (maglev's table is empty until then).
 */
export function createScheduler(algorithm: Algorithm, pool: PoolView, options: SchedulerInit): Scheduler {
  return SCHEDULERS[algorithm](pool, {
    random: options.random,
    tableSize: options.tableSize ?? DEFAULTS.maglevTableSize,
  });
}

export { LeastConnections } from './least-connections.js';
export { LeastResponseTime } from './least-response-time.js';
export { Maglev } from './maglev.js';
export { RoundRobin } from './round-robin.js';
export { TwoChoices } from './two-choices.js';
export { WeightedLeastConnections } from './weighted-least-connections.js';
export { SmoothWeightedRoundRobin } from './weighted-round-robin.js';
