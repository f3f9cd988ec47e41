import type { PoolView } from '../../../../../firmware/forwarding/scheduler.js';

/** A pool whose live arrays the test mutates directly, as the service runtime would. */
export interface TestPool extends PoolView {
  readonly weights: Uint32Array;
  readonly active: Int32Array;
  readonly connectEwmaMs: Float64Array;
}

export function makePool(weights: readonly number[], keys?: readonly string[]): TestPool {
  const n = weights.length;
  return {
    size: n,
    weights: Uint32Array.from(weights),
    active: new Int32Array(n),
    connectEwmaMs: new Float64Array(n),
    keys: keys ?? weights.map((_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:80`),
  };
}

export function equalPool(n: number, weight = 1): TestPool {
  return makePool(new Array<number>(n).fill(weight));
}

/** 1 for every backend of positive weight: what the runtime passes when all are up. */
export function all(pool: PoolView): Uint8Array {
  return Uint8Array.from(pool.weights, (w) => (w > 0 ? 1 : 0));
}

export function mask(bits: readonly number[]): Uint8Array {
  return Uint8Array.from(bits);
}

export const NAMES = 'abcdefghijklmnopqrstuvwxyz';

/** Run `count` picks and spell them with letters (a = backend 0), '-' for -1. */
export function sequence(pick: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    const b = pick();
    out += b < 0 ? '-' : NAMES[b];
  }
  return out;
}

export function tally(n: number, pick: () => number, count: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < count; i++) {
    const b = pick();
    if (b >= 0) counts[b]!++;
  }
  return counts;
}
