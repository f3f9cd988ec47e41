import type { Algorithm } from '../../src/protocol/rules/model.js';

/**
 * What a scheduler sees of one service's backends (one tier: primaries or backups).
 * The arrays are owned by the pool, indexed by backend index, and updated in place, so a
 * scheduler reads live values without copying.
 */
export interface PoolView {
  readonly size: number;
  /** Configured weight, 0..65535. */
  readonly weights: Uint32Array;
  /** Flows currently established on each backend. */
  readonly active: Int32Array;
  /** EWMA of connect time in ms; 0 means no sample yet. */
  readonly connectEwmaMs: Float64Array;
  /** A stable identity per backend (its canonical address): consistent hashing keys on it. */
  readonly keys: readonly string[];
}

/** A source of uniform random numbers in [0, 1); injected so tests can be deterministic. */
export type Random = () => number;

export interface Scheduler {
  readonly algorithm: Algorithm;
  /**
   * The candidate set changed: health, admin state or weight. `candidates[i]` is 1 for a
   * backend that may take new flows, ignoring momentary limits. Called on change, never per pick.
   */
  update(candidates: Uint8Array): void;
  /**
   * Choose the backend for a new flow. `eligible` is the candidate set minus momentary limits
   * (max-connections reached, a connect already failed for this flow). Returns -1 when no
   * backend is eligible. `flowHash` is a 32-bit hash of the flow's key (used by hashing
   * schedulers, ignored by the others).
   */
  pick(flowHash: number, eligible: Uint8Array): number;
}

export interface SchedulerOptions {
  random: Random;
  /** maglev: lookup table size, a prime. */
  tableSize: number;
}

export type SchedulerFactory = (pool: PoolView, options: SchedulerOptions) => Scheduler;
