/**
 * How long `fulcrum --help` takes from spawn to exit, beside a bare `node -e 0` (Node's own
 * start-up, the floor any Node CLI stands on), measured in turns on the same machine.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './lib/measure.js';
import { repoRoot, result, type Result } from './lib/report.js';

// Start times here swing with the machine from one run to the next: 60 turns keep the medians steady.
const RUNS = 60;
const WARMUP = 3;

export const title = 'CLI: start-up time of `fulcrum --help` against bare Node';

export const notes = [
  `Wall time from spawn to exit of \`node bin/fulcrum.js --help\` and of \`node -e 0\`, run in turns (${WARMUP} untimed each first, then ${RUNS} each); the median is reported.`,
  'The peer is the floor, not a competitor: no Node program starts faster than `node -e 0`, so the ratio says how much of the time is ours.',
];

function wallMs(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
  return ms;
}

export async function run(): Promise<Result[]> {
  const help = [path.join(repoRoot(), 'bin/fulcrum.js'), '--help'];
  const bare = ['-e', '0'];
  for (let i = 0; i < WARMUP; i++) {
    wallMs(help);
    wallMs(bare);
  }
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(wallMs(help));
    floor.push(wallMs(bare));
  }
  return [
    result({
      name: '`fulcrum --help`, spawn to exit (median)',
      value: median(ours),
      unit: 'ms',
      better: 'lower',
      peer: { name: 'node -e 0', value: median(floor) },
      // At most 1.15× Node's own start (a ratio: absolute start times swing 2× on this machine).
      goal: { ratio: 0.87 },
    }),
  ];
}
