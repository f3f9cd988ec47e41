/**
 * `npm run test:fuzz`: every fuzz target under fast-check, in worker threads, with a watchdog for
 * inputs that never finish; prints one table (target, inputs, failures, seconds) and, for each
 * failure, how to replay it. Exit code 1 on any failure. Options: options.ts (USAGE).
 */

import { Worker } from 'node:worker_threads';
import { parseOptions, runsFor, USAGE, type FuzzOptions } from './options.js';
import { PROGRESS, newProgress, type FuzzJob, type FuzzOutcome } from './progress.js';
import { deriveSeed } from './seed.js';
import type { TargetEntry } from './targets/index.js';
import { formatTable } from './table.js';

const WATCH_EVERY_MS = 500;

function runTarget(entry: TargetEntry, options: FuzzOptions): Promise<FuzzOutcome> {
  const progress = newProgress();
  const job: FuzzJob = {
    name: entry.name,
    runs: runsFor(entry, options.scale),
    seed: deriveSeed(options.seed, entry.name),
    path: options.path,
    budgetMs: options.budgetMs,
    shrinkMs: options.shrinkMs,
    progress: progress.buffer as SharedArrayBuffer,
  };
  const started = performance.now();
  const outcome = (o: Partial<FuzzOutcome>): FuzzOutcome => ({
    name: entry.name,
    inputs: 0,
    failed: true,
    seed: job.seed,
    path: null,
    error: null,
    counterexample: null,
    seconds: (performance.now() - started) / 1000,
    ...o,
  });
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: job });
    let settled = false;
    const settle = (o: FuzzOutcome) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(o);
    };
    // A hang posts nothing: notice that the call count stopped moving, and name the input.
    let lastCalls = -1;
    let lastMove = performance.now();
    const watchdog = setInterval(() => {
      const calls = Atomics.load(progress, PROGRESS.calls);
      if (calls !== lastCalls) {
        lastCalls = calls;
        lastMove = performance.now();
        return;
      }
      if (performance.now() - lastMove < options.hangMs) return;
      const first = Atomics.load(progress, PROGRESS.firstFailure);
      const index = first >= 0 ? first : Math.max(0, calls - 1);
      void worker.terminate();
      settle(
        outcome({
          inputs: calls,
          path: options.path ?? String(index),
          error: `hang: input ${index} ran for more than ${Math.round(options.hangMs / 1000)} s (the worker was stopped)`,
        }),
      );
    }, WATCH_EVERY_MS);
    worker.once('message', (o: FuzzOutcome) => {
      settle(o);
      void worker.terminate();
    });
    worker.once('error', (error) =>
      settle(outcome({ inputs: Atomics.load(progress, PROGRESS.calls), error: `the worker crashed: ${error.stack ?? String(error)}` })),
    );
    worker.once('exit', (code) =>
      settle(outcome({ inputs: Atomics.load(progress, PROGRESS.calls), error: `the worker exited with code ${code} before reporting` })),
    );
  });
}

async function main(): Promise<number> {
  let options: FuzzOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error((error as Error).message);
    if (!(error as Error).message.includes(USAGE)) console.error(`\n${USAGE}`);
    return 2;
  }
  const total = options.targets.reduce((n, t) => n + runsFor(t, options.scale), 0);
  if (options.path !== null)
    console.log(`fuzz: replaying FUZZ_PATH=${options.path} of ${options.targets[0]!.name} (FUZZ_SEED=${options.seed}), then shrinking it`);
  else
    console.log(
      `fuzz: ${options.targets.length} targets, ${total.toLocaleString('en-US')} inputs, FUZZ_SEED=${options.seed}, ${options.workers} workers, ${options.budgetMs} ms per input`,
    );

  // Longest first, so the last worker to finish does not start a big target alone.
  const queue = [...options.targets].sort((a, b) => runsFor(b, options.scale) * b.cost - runsFor(a, options.scale) * a.cost);
  const outcomes: FuzzOutcome[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(options.workers, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const o = await runTarget(next, options);
        outcomes.push(o);
        console.log(`  ${o.failed ? 'FAIL' : 'ok  '} ${o.name}: ${o.inputs.toLocaleString('en-US')} inputs in ${o.seconds.toFixed(1)} s`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const order = options.targets.map((t) => t.name);
  outcomes.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  console.log(`\n${formatTable(outcomes, seconds)}`);

  const failures = outcomes.filter((o) => o.failed);
  for (const f of failures) {
    console.log(`\nFAILED ${f.name}: ${f.error ?? 'no error recorded'}`);
    if (f.counterexample !== null) console.log(`counterexample: ${f.counterexample}`);
    if (f.path !== null)
      console.log(
        `replay: FUZZ_SEED=${options.seed} FUZZ_TARGET=${f.name} FUZZ_PATH=${f.path} npm run test:fuzz   (fast-check seed ${f.seed}, path ${f.path})`,
      );
    else console.log(`rerun: FUZZ_SEED=${options.seed} FUZZ_TARGET=${f.name} FUZZ_SCALE=${options.scale} npm run test:fuzz`);
  }
  console.log(
    failures.length === 0 ? `\nfuzz: no failures (FUZZ_SEED=${options.seed})` : `\nfuzz: ${failures.length} target(s) failed (FUZZ_SEED=${options.seed})`,
  );
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
