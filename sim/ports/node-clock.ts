import type { Clock } from '../../firmware/ports.js';

/** The firmware's clock on Node: monotonic time from performance.now, timers unref'd so they never keep a finished process alive. */
export const nodeClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
