/**
 * How far `fulcrum monitor` lets V8's heap grow between full collections. By default V8 lets the old generation grow to up to four times what survived the
 * last one; an agent polling a big fleet keeps a steady live heap (~65 MB at 1,000 appliances)
 * under a steady stream of short-lived garbage, so that headroom buys it nothing but RSS. At
 * 1.3× the live heap the same fleet peaked at 226 MB of RSS instead of 291 MB, with the same
 * CPU per cycle (`node dist/bench/poll-memory.js`, docs/PERFORMANCE.md).
 *
 * Not `serve`: its API allocates far more per second than polling does, and under this bound
 * the extra full collections cost ~20 % more CPU per API request (0.50 → 0.60 ms in the api
 * bench); it keeps V8's defaults, latency before memory.
 *
 * Set from inside, at the command's start: `fulcrum` runs under a shebang that passes Node no
 * flags, and V8's heap controller reads this one at each full collection, so it takes effect
 * without a restart (unlike the young generation's size, fixed when the heap is made).
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation may grow to (1 + this / 100) × what survived the last full collection. */
export const AGENT_HEAP_GROWING_PERCENT = 30;

export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${AGENT_HEAP_GROWING_PERCENT}`);
}
