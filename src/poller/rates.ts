/**
 * Successive counter samples → deltas and rates, without ever reporting a bogus spike.
 *
 * Pure: no clock, no I/O. The poller keeps the previous sample of each appliance and hands both
 * to `computeDeltas`. The rules, in the order they are applied (LibreNMS's, made explicit):
 *
 * 1. Time must advance (`timeMs` later than before), else the interval is a gap ('clock').
 * 2. A discontinuity flag from the appliance (counters cleared, process restarted) → gap.
 * 3. sysUpTime must have advanced by the wall time that passed (modulo 2^32 centiseconds, since
 *    TimeTicks wraps after ~497 days), within `uptimeSlackMs` + `uptimeSlackRatio` × elapsed.
 *    Anything else — uptime going back, or forward by less than the elapsed time (the box
 *    rebooted and has been up less long than the interval), or by more — means the counters
 *    restarted somewhere in the interval: gap ('reboot'). A reset is found from uptime, never
 *    from a counter going down alone: read as a wrap, a reboot is the "1 Ebps" spike.
 * 4. An interval longer than `heartbeat` × `expectedIntervalMs` is a gap ('missed-polls'): past
 *    that, the average says nothing about what happened and a 32-bit counter may have wrapped
 *    more than once unseen. A shorter interval that still spans missed polls (longer than 1.5
 *    expected intervals) is kept whole: one exact delta covering the whole interval, its rate the
 *    average over it, marked with `missedPolls` — never spread as invented per-poll values.
 * 5. Per counter, with the interval found sound:
 *    - went up (or stayed): delta = value − previous;
 *    - went down, 32-bit: a wrap, delta = value + 2^32 − previous — only if that is plausible;
 *    - went down, 64-bit: a reset ('counter-reset'), never a wrap (2^64 octets is 46 years at
 *      100 Gb/s, so a 64-bit counter going down has restarted);
 *    - any delta above `maxRate` × seconds is implausible → gap ('implausible'). This is what
 *      stops a cleared 32-bit counter of a slow kind (connections, failures) being read as a
 *      wrap; for octets at 10 Gb/s a 60-s interval allows any 32-bit wrap, so a cleared 32-bit
 *      octet counter without a discontinuity flag is indistinguishable from a wrap. Counter64 is
 *      the cure, and Fulcrum's own MIB uses it throughout.
 *    - a counter seen for the first time, or with a new width, starts a baseline ('baseline').
 *
 * After every gap the new value is the baseline of the next interval. The physical limits: a
 * 32-bit counter that grows by 2^32 or more within one interval is under-reported (the extra
 * wraps are invisible), and a reboot is invisible in sysUpTime when it leaves the uptime within
 * the slack of where continuous running would have put it: a reboot just after a poll that came
 * just after an earlier boot, or one landing where a TimeTicks wrap would. The property test
 * (test/unit/poller/rates.property.test.ts) models everything else.
 */

export type CounterWidth = 32 | 64;

export interface CounterReading {
  value: bigint;
  width: CounterWidth;
  /** Largest plausible increase per second for this counter; overrides `RateOptions.maxRate`. */
  maxRate?: number;
}

export interface PollSample {
  /** Agent time when the reply carrying sysUpTime arrived, in ms; should not jump (prefer a monotonic source). */
  timeMs: number;
  /** The appliance's sysUpTime: TimeTicks, centiseconds, wraps at 2^32. */
  sysUpTime: number;
  /** The appliance reports its counters restarted since the previous poll. */
  discontinuity?: boolean;
  counters: ReadonlyMap<string, CounterReading>;
}

export interface RateOptions {
  /** The poll interval the poller aims for. */
  expectedIntervalMs: number;
  /** Intervals longer than this many expected intervals are gaps. Default 3 (two missed polls bridged). */
  heartbeat?: number;
  /** Largest plausible increase per second of a counter, by name. Default `defaultMaxRate`. */
  maxRate?: (name: string) => number;
  /** Absolute tolerance between sysUpTime's advance and the elapsed time. Default 2000 ms. */
  uptimeSlackMs?: number;
  /** Further tolerance, as a fraction of the elapsed time. Default 0.02. */
  uptimeSlackRatio?: number;
}

export type GapReason = 'baseline' | 'clock' | 'discontinuity' | 'reboot' | 'missed-polls' | 'counter-reset' | 'implausible';

export interface CounterDelta {
  /** The increase over the interval, or null for a gap. */
  delta: bigint | null;
  /** delta ÷ seconds, or null for a gap. */
  rate: number | null;
  /** The counter passed 2^32 once in the interval. */
  wrapped: boolean;
  /** Why there is no delta; null when there is one. */
  gap: GapReason | null;
}

export interface IntervalResult {
  /** Length of the interval, seconds (0 for a baseline). */
  seconds: number;
  /** Why the whole interval is a gap, or null when each counter was judged on its own. */
  gap: GapReason | null;
  /** Polls estimated missing inside the interval when it was bridged (0 normally). */
  missedPolls: number;
  counters: Map<string, CounterDelta>;
}

export const TWO_32 = 1n << 32n;
const TWO_64 = 1n << 64n;
const TIMETICKS_MODULUS = 2 ** 32;

/** 10 Gb/s in octets: the example ceiling for byte counters. */
export const OCTETS_MAX_RATE = 10e9 / 8;
/** Ceiling for event counters (connections, packets, failures): above 10 GbE's 14.9 Mpps line rate. */
export const EVENTS_MAX_RATE = 20e6;

/** Byte/octet counters get 10 Gb/s, everything else 20 M events/s. */
export function defaultMaxRate(name: string): number {
  return /bytes|octets/i.test(name) ? OCTETS_MAX_RATE : EVENTS_MAX_RATE;
}

const gap = (reason: GapReason): CounterDelta => ({ delta: null, rate: null, wrapped: false, gap: reason });

function checkReading(name: string, r: CounterReading): void {
  const limit = r.width === 32 ? TWO_32 : TWO_64;
  if (r.width !== 32 && r.width !== 64) throw new RangeError(`counter ${name}: width ${String(r.width)} is neither 32 nor 64`);
  if (r.value < 0n || r.value >= limit) throw new RangeError(`counter ${name}: ${r.value} does not fit ${r.width} bits`);
}

/** Why the interval from `prev` to `next` cannot be trusted as a whole, or null if it can. */
export function intervalGap(prev: PollSample, next: PollSample, options: RateOptions): GapReason | null {
  const elapsedMs = next.timeMs - prev.timeMs;
  if (!(elapsedMs > 0)) return 'clock';
  if (next.discontinuity) return 'discontinuity';
  const advanceMs = ((((next.sysUpTime - prev.sysUpTime) % TIMETICKS_MODULUS) + TIMETICKS_MODULUS) % TIMETICKS_MODULUS) * 10;
  const slack = (options.uptimeSlackMs ?? 2000) + (options.uptimeSlackRatio ?? 0.02) * elapsedMs;
  if (Math.abs(advanceMs - elapsedMs) > slack) return 'reboot';
  if (elapsedMs > (options.heartbeat ?? 3) * options.expectedIntervalMs) return 'missed-polls';
  return null;
}

/** One counter over a sound interval of `seconds`, ceiling `maxRate` per second. */
export function counterDelta(prev: CounterReading, next: CounterReading, seconds: number, maxRate: number): CounterDelta {
  if (prev.width !== next.width) return gap('baseline');
  let delta = next.value - prev.value;
  let wrapped = false;
  if (delta < 0n) {
    if (next.width === 64) return gap('counter-reset');
    delta += TWO_32;
    wrapped = true;
  }
  // Compared as numbers: the ceiling is a float and a delta this large is implausible anyway.
  if (Number(delta) > maxRate * seconds) return gap('implausible');
  return { delta, rate: Number(delta) / seconds, wrapped, gap: null };
}

/**
 * Deltas and rates for every counter in `next`, against `prev` (null for the first poll of an
 * appliance: everything is a baseline). Counters missing from `next` are simply not reported.
 * Throws RangeError on a reading that does not fit its width (a driver bug, not a reset).
 */
export function computeDeltas(prev: PollSample | null, next: PollSample, options: RateOptions): IntervalResult {
  for (const [name, r] of next.counters) checkReading(name, r);
  const counters = new Map<string, CounterDelta>();
  const whole = prev === null ? 'baseline' : intervalGap(prev, next, options);
  const seconds = prev === null ? 0 : Math.max(0, (next.timeMs - prev.timeMs) / 1000);
  if (whole !== null || prev === null) {
    for (const name of next.counters.keys()) counters.set(name, gap(whole ?? 'baseline'));
    return { seconds, gap: whole, missedPolls: 0, counters };
  }
  const ratio = (next.timeMs - prev.timeMs) / options.expectedIntervalMs;
  const missedPolls = ratio > 1.5 ? Math.round(ratio) - 1 : 0;
  const maxRateFor = options.maxRate ?? defaultMaxRate;
  for (const [name, reading] of next.counters) {
    const before = prev.counters.get(name);
    counters.set(name, before === undefined ? gap('baseline') : counterDelta(before, reading, seconds, reading.maxRate ?? maxRateFor(name)));
  }
  return { seconds, gap: null, missedPolls, counters };
}
