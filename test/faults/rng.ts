/** A seeded random source with the few draws the campaign needs; every trial owns one. */

import { createRandom } from '../../firmware/forwarding/flow/random.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A fresh 31-bit seed (for a component that takes its own seed). */
  seed(): number;
}

export function rngFrom(seed: number): Rng {
  const random = createRandom(seed);
  const rng: Rng = {
    next: random,
    int: (min, max) => min + Math.floor(random() * (max - min + 1)),
    chance: (p) => random() < p,
    pick: (items) => items[Math.floor(random() * items.length)]!,
    seed: () => Math.floor(random() * 2 ** 31),
  };
  return rng;
}
