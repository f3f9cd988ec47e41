/**
 * A fault campaign: trials of one fault kind, each with its own seed derived from the run's
 * FAULT_SEED, so one trial can be replayed alone. A trial throws when an invariant breaks;
 * what it returns are notes (counts of outcomes) for the report.
 */

import type { Rng } from './rng.js';

/** Counts by outcome ("new config", "old config", "push failed"…), summed over a kind's trials. */
export type Notes = Record<string, number>;

export interface TrialContext {
  kind: string;
  index: number;
  seed: number;
  rng: Rng;
}

export interface Campaign {
  kind: string;
  /** What the kind does and checks, one line. */
  about: string;
  /** Trials in a full run and in a short (CI) run. */
  trials: { full: number; short: number };
  /** Longest one trial may take before it counts as hung. */
  trialTimeoutMs: number;
  /** Runs before the first trial; returns what the trials share (a simulator, a fleet…). */
  setup?(): Promise<void>;
  run(trial: TrialContext): Promise<Notes>;
  teardown?(): Promise<void>;
}

/** An invariant the trial found broken. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}
