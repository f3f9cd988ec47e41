/** How a fuzz run is sized and seeded: command-line flags and environment variables. */

import { availableParallelism } from 'node:os';
import { seedFrom } from './seed.js';
import { DEFAULT_TOTAL, TARGETS, type TargetEntry } from './targets/index.js';

export interface FuzzOptions {
  scale: number;
  seed: number;
  targets: TargetEntry[];
  path: string | null;
  budgetMs: number;
  shrinkMs: number;
  hangMs: number;
  workers: number;
}

export const USAGE = `npm run test:fuzz [-- --short]

  --short            CI size: FUZZ_SCALE=0.02
  FUZZ_SCALE=X       inputs per target × X (default 1: ${DEFAULT_TOTAL.toLocaleString('en-US')} inputs in all)
  FUZZ_RUNS=N        about N inputs in all, shared as in a full run
  FUZZ_SEED=S        master seed (default random; always printed)
  FUZZ_TARGET=A,B    only these targets (${TARGETS.map((t) => t.name).join(', ')})
  FUZZ_PATH=P        replay one counterexample (needs FUZZ_SEED and one FUZZ_TARGET)
  FUZZ_BUDGET_MS=MS  longest one input may take (default 1000)
  FUZZ_WORKERS=N     worker threads (default: up to 2)`;

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got "${text}"`);
  return n;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): FuzzOptions {
  for (const arg of argv) if (arg !== '--short') throw new RangeError(`unknown argument ${arg}\n\n${USAGE}`);
  let scale = positive(env.FUZZ_SCALE, 'FUZZ_SCALE', argv.includes('--short') ? 0.02 : 1);
  if (env.FUZZ_RUNS) scale = positive(env.FUZZ_RUNS, 'FUZZ_RUNS', DEFAULT_TOTAL) / DEFAULT_TOTAL;

  const wanted = env.FUZZ_TARGET ? env.FUZZ_TARGET.split(',').map((s) => s.trim()) : null;
  const unknown = wanted?.filter((w) => !TARGETS.some((t) => t.name === w)) ?? [];
  if (unknown.length > 0) throw new RangeError(`unknown FUZZ_TARGET ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  const targets = wanted ? TARGETS.filter((t) => wanted.includes(t.name)) : [...TARGETS];

  const path = env.FUZZ_PATH || null;
  if (path !== null && (targets.length !== 1 || !env.FUZZ_SEED))
    throw new RangeError('FUZZ_PATH replays one counterexample: give FUZZ_SEED and exactly one FUZZ_TARGET with it');
  if (path !== null && !/^\d+(:\d+)*$/.test(path)) throw new RangeError(`FUZZ_PATH looks like 12:0:3, got "${path}"`);

  const budgetMs = positive(env.FUZZ_BUDGET_MS, 'FUZZ_BUDGET_MS', 1_000);
  return {
    scale,
    seed: seedFrom(env.FUZZ_SEED, 'FUZZ_SEED'),
    targets,
    path,
    budgetMs,
    shrinkMs: 60_000,
    // A stuck input, not a slow one: the budget catches slow ones from inside the worker.
    hangMs: Math.max(15_000, budgetMs * 15),
    workers: Math.floor(positive(env.FUZZ_WORKERS, 'FUZZ_WORKERS', Math.min(2, availableParallelism()))),
  };
}

export const runsFor = (t: TargetEntry, scale: number): number => Math.max(1, Math.round(t.runs * scale));
