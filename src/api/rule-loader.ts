/**
 * Rule tables sent to the API are loaded on a worker thread, so that a big or hostile one (a
 * read token may send 4 MiB of YAML: seconds of parsing) never holds up the event loop: other
 * requests, streams and polling go on meanwhile. One worker, one table at a time, a bounded
 * queue, a deadline per table and a memory limit; a worker that crashes or overruns is replaced.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RuleTable } from '../protocol/rules/model.js';
import { RulesError, RulesLimitError, type RuleError, type TextLimit } from '../rules/index.js';
import { ApiError } from './errors.js';

export interface LoadJob {
  id: number;
  text: string;
  file: string;
}

export type LoadOutcome =
  { id: number; table: RuleTable } | { id: number; errors: readonly RuleError[]; limit: TextLimit | null } | { id: number; failure: string };

export interface RuleLoaderOptions {
  /** A table taking longer is abandoned (its worker replaced): the largest valid one takes ~15 s. */
  timeoutMs?: number;
  /** Tables waiting beyond the one being loaded; more are refused with 503. */
  maxQueued?: number;
  /** Heap for the worker: a 4 MiB table needs ~450 MB. */
  maxHeapMb?: number;
}

interface Pending extends LoadJob {
  resolve(table: RuleTable): void;
  reject(err: unknown): void;
}

/** The worker's module: compiled JavaScript next to this file, or TypeScript under tsx when run from source (tests). */
function startWorker(maxHeapMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./rules-worker.js', import.meta.url), { resourceLimits });
  // Worker threads do not inherit tsx's loader: register it (its ESM entry, as its package's
  // exports name it), then load the TypeScript module.
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  const tsx = pathToFileURL(path.join(path.dirname(manifest), exports['./esm/api']!.import.default)).href;
  const entry = new URL('./rules-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, resourceLimits });
}

export class RuleLoader {
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxHeapMb: number;
  private worker: Worker | null = null;
  private current: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: RuleLoaderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxQueued = options.maxQueued ?? 8;
    this.maxHeapMb = options.maxHeapMb ?? 1024;
  }

  /** loadRules(text, file) on the worker: the table, or the same RulesError (RulesLimitError) it throws. */
  load(text: string, file: string): Promise<RuleTable> {
    if (this.closed) return Promise.reject(new ApiError(503, 'unavailable', 'the agent is shutting down'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new ApiError(503, 'busy', `${this.maxQueued + 1} rule tables are already being checked: try again shortly`));
    }
    return new Promise<RuleTable>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, file, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const failed = new ApiError(503, 'unavailable', 'the agent is shutting down');
    for (const job of this.queue.splice(0)) job.reject(failed);
    this.finish()?.reject(failed);
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private dispatch(): void {
    if (this.current !== null || this.closed) return;
    const job = this.queue.shift();
    if (job === undefined) {
      this.worker?.unref();
      return;
    }
    const worker = this.ensureWorker();
    worker.ref();
    this.current = job;
    this.timer = setTimeout(
      () => this.abandon(new ApiError(503, 'tooSlow', `checking the rule table took more than ${this.timeoutMs / 1000} s: send a smaller table`)),
      this.timeoutMs,
    );
    worker.postMessage({ id: job.id, text: job.text, file: job.file } satisfies LoadJob);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(this.maxHeapMb);
    worker.on('message', (outcome: LoadOutcome) => this.settle(outcome));
    worker.on('error', (err: Error & { code?: string }) => {
      if (this.worker !== worker) return;
      const outOfMemory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.abandon(
        outOfMemory
          ? new ApiError(413, 'tooLarge', `checking the rule table needs more than ${this.maxHeapMb} MB of memory: send a smaller table`)
          : new ApiError(500, 'internal', `the rule loader failed: ${err.message}`),
      );
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.abandon(new ApiError(500, 'internal', 'the rule loader stopped'));
    });
    this.worker = worker;
    return worker;
  }

  /** The job in progress, taken off the worker. */
  private finish(): Pending | null {
    const job = this.current;
    this.current = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return job;
  }

  private settle(outcome: LoadOutcome): void {
    if (this.current?.id !== outcome.id) return;
    const job = this.finish()!;
    if ('table' in outcome) job.resolve(outcome.table);
    else if ('errors' in outcome) job.reject(outcome.limit ? new RulesLimitError(outcome.limit, outcome.errors) : new RulesError(outcome.errors));
    else job.reject(new Error(`loading the rule table failed on its worker: ${outcome.failure}`));
    this.dispatch();
  }

  /** The worker is stuck or gone: fail its job, replace it, go on with the queue. */
  private abandon(error: ApiError): void {
    this.finish()?.reject(error);
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    this.dispatch();
  }
}
