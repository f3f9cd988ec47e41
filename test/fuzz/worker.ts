/**
 * Runs one fuzz target under fast-check in a worker thread and posts its FuzzOutcome. Every input
 * is timed against the per-input budget (an input over it is a failure: a decoder that takes
 * seconds on one small input is a denial of service), and the call count is published in shared
 * memory for the runner's hang watchdog.
 */

import '../../src/protocol/host/install-node-crypto.js';
import fc from 'fast-check';
import { parentPort, workerData } from 'node:worker_threads';
import { TARGETS } from './targets/index.js';
import { PROGRESS, type FuzzJob, type FuzzOutcome } from './progress.js';

const job = workerData as FuzzJob;
const progress = new Int32Array(job.progress);
const entry = TARGETS.find((t) => t.name === job.name);
if (!entry) throw new Error(`no fuzz target named ${job.name}`);
const fuzz = await entry.load();
const budgetMs = Math.max(job.budgetMs, fuzz.budgetMs ?? 0);

let shrinkingSince: number | null = null;
/** Set when the first failure was the time budget: shrinking would only walk down to the inputs that barely fail, which replay unreliably. */
let keepFirstFailure = false;

class BudgetError extends Error {
  override readonly name = 'BudgetError';
}

/** Before each call: count it; once shrinking has had its time (or must not happen), let the rest pass so the run ends. */
function enter(): boolean {
  Atomics.add(progress, PROGRESS.calls, 1);
  if (shrinkingSince === null) return true;
  return !keepFirstFailure && performance.now() - shrinkingSince < job.shrinkMs;
}

function failed(error: unknown): void {
  if (shrinkingSince !== null) return;
  shrinkingSince = performance.now();
  keepFirstFailure = error instanceof BudgetError;
  Atomics.store(progress, PROGRESS.firstFailure, Atomics.load(progress, PROGRESS.calls) - 1);
}

/**
 * An input over the budget is timed once more before it counts: on a busy machine one slow run
 * can be the scheduler's doing, two in a row are the code's.
 */
function checkBudget(first: number, again: () => number): void {
  if (first <= budgetMs) return;
  const second = again();
  if (second > budgetMs) throw new BudgetError(`one input took ${Math.round(first)} ms, then ${Math.round(second)} ms again: over the ${budgetMs} ms budget`);
}

const check = fuzz.check;

function timed(input: unknown): number {
  const started = performance.now();
  void check(input);
  return performance.now() - started;
}

async function timedAsync(input: unknown): Promise<number> {
  const started = performance.now();
  await check(input);
  return performance.now() - started;
}

function guarded(input: unknown): void {
  if (!enter()) return;
  try {
    checkBudget(timed(input), () => timed(input));
  } catch (error) {
    failed(error);
    throw error;
  }
}

async function guardedAsync(input: unknown): Promise<void> {
  if (!enter()) return;
  try {
    const first = await timedAsync(input);
    const second = first > budgetMs ? await timedAsync(input) : 0;
    checkBudget(first, () => second);
  } catch (error) {
    failed(error);
    throw error;
  }
}

const property = fuzz.async ? fc.asyncProperty(fuzz.arbitrary, guardedAsync) : fc.property(fuzz.arbitrary, guarded);

const started = performance.now();
const parameters = { numRuns: job.runs, seed: job.seed, ...(job.path !== null ? { path: job.path } : {}) };
const details = fuzz.async ? await fc.check(property as fc.IAsyncProperty<[unknown]>, parameters) : fc.check(property as fc.IProperty<[unknown]>, parameters);

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(error);

const clip = (text: string): string => (text.length <= 2_000 ? text : `${text.slice(0, 2_000)}… (${text.length.toLocaleString('en-US')} characters in all)`);

const outcome: FuzzOutcome = {
  name: job.name,
  inputs: details.failed ? details.numRuns : details.numRuns + details.numSkips,
  failed: details.failed,
  seed: details.seed,
  path: details.counterexamplePath,
  error: details.failed ? describe(details.errorInstance) : null,
  counterexample: details.counterexample === null ? null : clip(fc.stringify(details.counterexample)),
  seconds: (performance.now() - started) / 1000,
};
parentPort!.postMessage(outcome);
