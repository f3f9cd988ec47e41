/**
 * What a fuzz worker shares with the runner while it works, in shared memory so the runner can
 * read it even while the worker is stuck inside one input (a hang never posts a message).
 */

/** Slots of the shared Int32Array. */
export const PROGRESS = {
  /** Calls of the property so far (generation and shrinking). */
  calls: 0,
  /** 0-based index of the first failing input, -1 while none failed. */
  firstFailure: 1,
} as const;

export function newProgress(): Int32Array {
  const p = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  p[PROGRESS.firstFailure] = -1;
  return p;
}

/** What the runner hands a worker. */
export interface FuzzJob {
  name: string;
  runs: number;
  seed: number;
  /** A fast-check path to replay instead of generating `runs` inputs. */
  path: string | null;
  budgetMs: number;
  /** After the first failure, stop shrinking once this much time went into it. */
  shrinkMs: number;
  progress: SharedArrayBuffer;
}

/** What a worker reports when its target is done. */
export interface FuzzOutcome {
  name: string;
  inputs: number;
  failed: boolean;
  seed: number;
  path: string | null;
  error: string | null;
  counterexample: string | null;
  seconds: number;
}
