import type fc from 'fast-check';

/**
 * One thing under fuzz: how to make inputs and what must hold for each. `check` throws (or
 * rejects) when the promise is broken; the typed errors a decoder is allowed to throw are caught
 * inside it, so anything that escapes is a finding.
 */
export interface FuzzTarget<T> {
  name: string;
  /** What is fuzzed and what is promised, for the report. */
  what: string;
  arbitrary: fc.Arbitrary<T>;
  /** `check` returns a promise: run it as an async property (slower; only where it must be). */
  async?: true;
  /** The longest one input may take, for inputs big by design (rule texts up to the size limit); FUZZ_BUDGET_MS when that is longer. */
  budgetMs?: number;
  check(input: T): void | Promise<void>;
}

/** Builds a target with its input type inferred from the arbitrary. */
export function target<T>(t: FuzzTarget<T>): FuzzTarget<T> {
  return t;
}

/**
 * Runs `fn` and returns the error it threw if it is one of `allowed`, `undefined` if it returned
 * normally; any other error propagates (that is the finding).
 */
export function expectOnly<R>(
  fn: () => R,
  ...allowed: (abstract new (...args: never[]) => Error)[]
): { value: R; error?: undefined } | { value?: undefined; error: Error } {
  try {
    return { value: fn() };
  } catch (error) {
    if (allowed.some((type) => error instanceof type)) return { error: error as Error };
    throw error;
  }
}

/** An assertion that names what broke; the fuzz report prints its message. */
export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new Error(typeof message === 'string' ? message : message());
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
