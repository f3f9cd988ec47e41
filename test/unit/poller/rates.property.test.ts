/**
 * The rate rules against a model of the appliance: true counter increments, 32-bit wraps,
 * TimeTicks wraps, reboots (counters and uptime restart), cleared counters (discontinuity),
 * poll jitter and missed polls. Whatever happens, a computed delta never exceeds what the
 * counter truly gained, and it equals it exactly when nothing restarted in the interval and the
 * interval is within the heartbeat.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeDeltas, TWO_32, type CounterReading, type PollSample, type RateOptions } from '../../../src/poller/rates.js';

const EXPECTED_MS = 10_000;
const OPTIONS: RateOptions = { expectedIntervalMs: EXPECTED_MS, heartbeat: 3, uptimeSlackMs: 2000, uptimeSlackRatio: 0.02 };
const UPTIME_MODULUS_MS = 2 ** 32 * 10;

interface CounterModel {
  name: string;
  width: 32 | 64;
  maxRate: number;
}
const COUNTERS: CounterModel[] = [
  { name: 'fast32', width: 32, maxRate: 1.25e9 },
  { name: 'slow32', width: 32, maxRate: 1_000 },
  { name: 'hc64', width: 64, maxRate: 1.25e9 },
];

interface Step {
  dtMs: number;
  event: 'none' | 'reboot' | 'clear';
  /** Where in the interval the event happens, as a fraction. */
  at: number;
  /** Per counter: growth before and after the event, as fractions of what the rate limit allows. */
  growth: Array<[number, number]>;
}

const fraction = fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 1_000_000);
const step: fc.Arbitrary<Step> = fc.record({
  dtMs: fc.oneof(fc.integer({ min: 9_000, max: 11_000 }), fc.integer({ min: 1, max: 80_000 }), fc.constantFrom(20_000, 30_000, 30_001)),
  event: fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, fc.constant('reboot' as const), fc.constant('clear' as const)),
  at: fraction,
  growth: fc.tuple(...COUNTERS.map(() => fc.tuple(fraction, fraction))),
});
const start = fc.record({
  timeMs: fc.integer({ min: 0, max: 2 ** 40 }),
  // Uptime anywhere, often close to the TimeTicks wrap.
  uptimeMs: fc.oneof(fc.integer({ min: 0, max: UPTIME_MODULUS_MS - 1 }), fc.integer({ min: UPTIME_MODULUS_MS - 200_000, max: UPTIME_MODULUS_MS - 1 })),
  values: fc.tuple(
    fc.oneof(fc.bigInt(0n, TWO_32 - 1n), fc.bigInt(TWO_32 - 10n ** 6n, TWO_32 - 1n)),
    fc.oneof(fc.bigInt(0n, TWO_32 - 1n), fc.bigInt(TWO_32 - 10n ** 5n, TWO_32 - 1n)),
    fc.bigInt(0n, 1n << 63n),
  ),
});

/** The most a counter can truly gain in `ms` without being implausible (and, at 32 bits, without a second wrap). */
function limit(c: CounterModel, ms: number): bigint {
  const byRate = BigInt(Math.floor(c.maxRate * (ms / 1000) * (1 - 1e-9)));
  return c.width === 32 && byRate > TWO_32 - 1n ? TWO_32 - 1n : byRate;
}
const scaled = (f: number, max: bigint) => BigInt(Math.floor(f * Number(max)));
const wrap = (c: CounterModel, v: bigint) => (c.width === 32 ? v % TWO_32 : v);

describe('rates: property against a model appliance', () => {
  it('never reports more than the true increment, and exactly it when nothing restarted', () => {
    fc.assert(
      fc.property(start, fc.array(step, { minLength: 1, maxLength: 40 }), (init, steps) => {
        let timeMs = init.timeMs;
        let uptimeMs = init.uptimeMs;
        const values = [...init.values];
        const read = (discontinuity: boolean): PollSample => ({
          timeMs,
          sysUpTime: Math.floor(uptimeMs / 10) % 2 ** 32,
          counters: new Map<string, CounterReading>(COUNTERS.map((c, i) => [c.name, { value: values[i]!, width: c.width, maxRate: c.maxRate }])),
          ...(discontinuity ? { discontinuity } : {}),
        });
        let previous = read(false);
        for (const s of steps) {
          const slack = OPTIONS.uptimeSlackMs! + OPTIONS.uptimeSlackRatio! * s.dtMs;
          // Events the model allows: a reboot must be visible in sysUpTime (at least the slack after
          // the poll, and not landing where a TimeTicks wrap would put the uptime).
          let event = s.event;
          const eventMs = Math.floor(s.at * s.dtMs);
          if (event === 'reboot') {
            const phase = (eventMs + uptimeMs) % UPTIME_MODULUS_MS;
            if (eventMs <= slack + 20 || phase <= slack + 20 || phase >= UPTIME_MODULUS_MS - slack - 20) event = 'none';
          }
          const truth: bigint[] = [];
          COUNTERS.forEach((c, i) => {
            const [before, after] = s.growth[i]!;
            if (event === 'none') {
              const gain = scaled(before, limit(c, s.dtMs));
              truth.push(gain);
              values[i] = wrap(c, values[i]! + gain);
            } else {
              const gainBefore = scaled(before, limit(c, eventMs));
              const gainAfter = scaled(after, limit(c, s.dtMs - eventMs));
              truth.push(gainBefore + gainAfter);
              values[i] = gainAfter; // restarted from zero
            }
          });
          timeMs += s.dtMs;
          uptimeMs = event === 'reboot' ? s.dtMs - eventMs : (uptimeMs + s.dtMs) % UPTIME_MODULUS_MS;
          const next = read(event === 'clear');
          const result = computeDeltas(previous, next, OPTIONS);
          previous = next;

          const exact = event === 'none' && s.dtMs <= OPTIONS.heartbeat! * EXPECTED_MS;
          COUNTERS.forEach((c, i) => {
            const d = result.counters.get(c.name)!;
            if (d.delta !== null) {
              expect(d.delta).toBeLessThanOrEqual(truth[i]!);
              expect(d.rate).toBe(Number(d.delta) / (s.dtMs / 1000));
            }
            if (exact) expect(d.delta, `${c.name} over ${s.dtMs} ms`).toBe(truth[i]);
            if (event !== 'none') expect(d.delta, `${c.name} across a ${event}`).toBeNull();
          });
        }
      }),
      { numRuns: 400 },
    );
  });
});
