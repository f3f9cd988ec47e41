import { performance } from 'node:perf_hooks';

/** Folds every body's return value so the JIT cannot drop the work being timed. */
let sink = 0;

/** Read once at exit so `sink` is observably used. */
export function checksum(): number {
  return sink;
}

export interface RateOptions {
  /** Each timed call runs at least this long (the batch doubles until it does). */
  minCallMs?: number;
  /** Timed calls; the median is reported. */
  repeats?: number;
}

/**
 * Operations per second of `body(n)`, which performs `n` operations and returns any number
 * derived from them. Doubling the batch until a call takes `minCallMs` doubles as the JIT
 * warm-up; then `repeats` calls are timed and the median rate is returned.
 */
export function rate(body: (n: number) => number, options: RateOptions = {}): number {
  const minCallMs = options.minCallMs ?? 40;
  const repeats = options.repeats ?? 7;
  let n = 256;
  for (;;) {
    const ms = time(() => body(n));
    if (ms >= minCallMs) break;
    n *= ms > 0 ? Math.min(8, Math.max(2, Math.ceil(minCallMs / ms))) : 8;
  }
  const rates: number[] = [];
  for (let i = 0; i < repeats; i++) rates.push(n / (time(() => body(n)) / 1000));
  return median(rates);
}

export interface DurationOptions {
  warmup?: number;
  repeats?: number;
}

/** Median wall time in ms of `body()`, after `warmup` untimed calls. */
export function duration(body: () => number, options: DurationOptions = {}): number {
  const warmup = options.warmup ?? 10;
  const repeats = options.repeats ?? 31;
  for (let i = 0; i < warmup; i++) sink ^= body();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(time(body));
  return median(times);
}

function time(body: () => number): number {
  const start = performance.now();
  sink ^= body();
  return performance.now() - start;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
