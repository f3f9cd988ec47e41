import type { Random } from '../scheduler.js';

/**
 * A small seeded generator (a SplitMix-style counter passed through a 32-bit mixer). The
 * firmware has no entropy source of its own: the host injects a seed, and tests pass a fixed
 * one so every random choice replays exactly. Not for anything secret.
 */
export function createRandom(seed: number): Random {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    return (z >>> 0) / 4294967296;
  };
}
