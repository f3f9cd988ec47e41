/** How a fault campaign run is sized, seeded and narrowed: flags and environment variables. */

import { seedFrom } from '../fuzz/seed.js';

export interface FaultOptions {
  short: boolean;
  seed: number;
  /** Only this kind, and optionally only this trial of it. */
  only: { kind: string; index: number | null } | null;
  /** Multiplies every kind's trial count (after --short). */
  scale: number;
}

export const USAGE = `npm run test:faults [-- --short] [-- --only KIND[:TRIAL]]

  --short            CI size (a few trials of each kind)
  --only KIND[:N]    one kind, or one trial of it (the replay of a failure)
  FAULT_SEED=S       master seed (default random; always printed)
  FAULT_SHORT=1      same as --short
  FAULT_SCALE=X      trials of every kind × X`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): FaultOptions {
  let short = env.FAULT_SHORT === '1';
  let only: FaultOptions['only'] = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--short') short = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      const m = /^([a-z-]+)(?::(\d+))?$/.exec(value ?? '');
      if (!m) throw new RangeError(`--only takes KIND or KIND:TRIAL, got "${value ?? ''}"`);
      only = { kind: m[1]!, index: m[2] === undefined ? null : Number(m[2]) };
    } else throw new RangeError(`unknown argument ${arg}`);
  }
  const scale = env.FAULT_SCALE ? Number(env.FAULT_SCALE) : 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`FAULT_SCALE must be a positive number, got "${env.FAULT_SCALE}"`);
  return { short, seed: seedFrom(env.FAULT_SEED, 'FAULT_SEED'), only, scale };
}
