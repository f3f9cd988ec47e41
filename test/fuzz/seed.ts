/**
 * Seeds for the fuzz and fault runs: one master seed per run (printed, so any run can be
 * repeated), and from it a seed per target or trial, so one of them replays without the others.
 */

import { randomInt } from 'node:crypto';

/** A fresh master seed: a non-negative 31-bit integer, short enough to type back. */
export function freshSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** The master seed from an environment variable (decimal), or a fresh one. Throws on garbage. */
export function seedFrom(text: string | undefined, name: string): number {
  if (text === undefined || text === '') return freshSeed();
  if (!/^\d+$/.test(text) || Number(text) >= 2 ** 32) throw new RangeError(`${name} must be an integer 0..4294967295, got "${text}"`);
  return Number(text);
}

/**
 * A seed for one labelled part of a run: FNV-1a over the labels, mixed with the master seed.
 * Stable across versions of this file's callers (only the labels and the master matter).
 */
export function deriveSeed(master: number, ...labels: (string | number)[]): number {
  let h = 0x811c9dc5 ^ master;
  for (const byte of new TextEncoder().encode(labels.join('\u0000'))) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so that neighbouring labels (trial 17, trial 18) give unrelated seeds.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) & 0x7fff_ffff;
}
