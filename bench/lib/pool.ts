import type { PoolView } from '../../firmware/forwarding/scheduler.js';

/** A scheduler's view of `weights.length` backends keyed 10.1.x.y:8080, all idle. */
export function makePool(weights: readonly number[]): PoolView & { readonly active: Int32Array } {
  const n = weights.length;
  return {
    size: n,
    weights: Uint32Array.from(weights),
    active: new Int32Array(n),
    connectEwmaMs: new Float64Array(n),
    keys: weights.map((_, i) => `10.1.${i >> 8}.${i & 255}:8080`),
  };
}

export function allCandidates(n: number): Uint8Array {
  return new Uint8Array(n).fill(1);
}
