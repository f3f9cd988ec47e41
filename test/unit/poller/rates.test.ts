import { describe, expect, it } from 'vitest';
import { computeDeltas, counterDelta, intervalGap, TWO_32, type CounterReading, type PollSample, type RateOptions } from '../../../src/poller/rates.js';

const OPTIONS: RateOptions = { expectedIntervalMs: 10_000 };
const c32 = (value: bigint, maxRate?: number): CounterReading => (maxRate === undefined ? { value, width: 32 } : { value, width: 32, maxRate });
const c64 = (value: bigint): CounterReading => ({ value, width: 64 });

function sample(timeMs: number, sysUpTime: number, counters: Record<string, CounterReading>, discontinuity = false): PollSample {
  return { timeMs, sysUpTime, counters: new Map(Object.entries(counters)), ...(discontinuity ? { discontinuity } : {}) };
}

/** Two polls 10 s apart on an appliance up for 1000 s. */
function pair(before: Record<string, CounterReading>, after: Record<string, CounterReading>, afterUptime = 101_000) {
  return computeDeltas(sample(1_000_000, 100_000, before), sample(1_010_000, afterUptime, after), OPTIONS);
}

describe('rates: deltas between two polls', () => {
  it('reports the first poll as a baseline for every counter', () => {
    const r = computeDeltas(null, sample(0, 0, { a: c64(5n) }), OPTIONS);
    expect(r.counters.get('a')).toEqual({ delta: null, rate: null, wrapped: false, gap: 'baseline' });
  });

  it('turns an increase into a delta and a per-second rate', () => {
    const r = pair({ bytes: c64(1_000n) }, { bytes: c64(51_000n) });
    expect(r.gap).toBeNull();
    expect(r.seconds).toBe(10);
    expect(r.counters.get('bytes')).toEqual({ delta: 50_000n, rate: 5_000, wrapped: false, gap: null });
  });

  it('reads a 32-bit counter going down as a wrap when the wrapped delta is plausible', () => {
    const r = pair({ ifInOctets: c32(TWO_32 - 1_000n) }, { ifInOctets: c32(4_000n) });
    expect(r.counters.get('ifInOctets')).toEqual({ delta: 5_000n, rate: 500, wrapped: true, gap: null });
  });

  it('refuses a wrap that would mean more than the maximum rate: a cleared slow counter is no spike', () => {
    // 100 connections/s at most: 2^32 − 90 + 10 in 10 s is not a wrap, the counter restarted.
    const r = pair({ conns: c32(100n, 100) }, { conns: c32(10n, 100) });
    expect(r.counters.get('conns')).toMatchObject({ delta: null, gap: 'implausible' });
  });

  it('refuses any jump above the maximum rate, whatever the width', () => {
    const r = pair({ bytesIn: c64(0n) }, { bytesIn: c64(BigInt(13e9)) }); // 10.4 Gb/s over 10 s
    expect(r.counters.get('bytesIn')).toMatchObject({ delta: null, gap: 'implausible' });
  });

  it('never reads a 64-bit counter going down as a wrap', () => {
    const r = pair({ hc: c64(1n << 40n) }, { hc: c64(12n) });
    expect(r.counters.get('hc')).toMatchObject({ delta: null, gap: 'counter-reset' });
  });

  it('finds a reboot in sysUpTime going back, for every counter, even one that went up', () => {
    const r = pair({ a: c64(10n), b: c32(10n) }, { a: c64(500n), b: c32(5n) }, 700);
    expect(r.gap).toBe('reboot');
    expect([...r.counters.values()].every((d) => d.delta === null && d.gap === 'reboot')).toBe(true);
  });

  it('finds a reboot when uptime went forward by less than the time that passed', () => {
    // Up 1000 s at the first poll; an hour later, up only 1500 s: it rebooted in between.
    const r = computeDeltas(sample(0, 100_000, { a: c64(5n) }), sample(3_600_000, 150_000, { a: c64(9n) }), { expectedIntervalMs: 3_600_000 });
    expect(r.gap).toBe('reboot');
  });

  it('takes sysUpTime wrapping at 2^32 centiseconds (497 days) in its stride', () => {
    const before = sample(0, 2 ** 32 - 300, { a: c64(1n) });
    const after = sample(10_000, 700, { a: c64(11n) });
    const r = computeDeltas(before, after, OPTIONS);
    expect(r.gap).toBeNull();
    expect(r.counters.get('a')?.delta).toBe(10n);
  });

  it('tolerates reply latency within the slack, not beyond it', () => {
    const before = sample(0, 0, { a: c64(0n) });
    expect(intervalGap(before, sample(10_000, 1_150, {}), OPTIONS)).toBeNull(); // uptime 1.5 s ahead
    expect(intervalGap(before, sample(10_000, 1_400, {}), OPTIONS)).toBe('reboot'); // 4 s ahead
  });

  it('honours the discontinuity flag', () => {
    const r = computeDeltas(sample(0, 0, { a: c64(5n) }), sample(10_000, 1_000, { a: c64(50n) }, true), OPTIONS);
    expect(r.counters.get('a')).toMatchObject({ delta: null, gap: 'discontinuity' });
  });

  it('bridges missed polls up to the heartbeat, marking them, and gaps beyond it', () => {
    const before = sample(0, 0, { a: c64(0n) });
    const bridged = computeDeltas(before, sample(30_000, 3_000, { a: c64(300n) }), OPTIONS);
    expect(bridged).toMatchObject({ gap: null, missedPolls: 2, seconds: 30 });
    expect(bridged.counters.get('a')).toMatchObject({ delta: 300n, rate: 10 });
    const gapped = computeDeltas(before, sample(31_000, 3_100, { a: c64(310n) }), OPTIONS);
    expect(gapped.gap).toBe('missed-polls');
    expect(gapped.counters.get('a')?.delta).toBeNull();
  });

  it('gives no delta when time did not advance', () => {
    const r = computeDeltas(sample(5_000, 500, { a: c64(1n) }), sample(5_000, 500, { a: c64(2n) }), OPTIONS);
    expect(r.gap).toBe('clock');
  });

  it('starts a baseline for a counter seen for the first time or with a new width', () => {
    const r = pair({ old: c32(5n) }, { old: c64(6n), fresh: c64(1n) });
    expect(r.counters.get('old')?.gap).toBe('baseline');
    expect(r.counters.get('fresh')?.gap).toBe('baseline');
  });

  it('refuses a reading that does not fit its width (a driver bug, not a reset)', () => {
    expect(() => pair({ a: c32(1n) }, { a: c32(TWO_32) })).toThrow(RangeError);
    expect(() => pair({ a: c64(1n) }, { a: c64(-1n) })).toThrow(RangeError);
  });

  it('counterDelta uses the ceiling given', () => {
    expect(counterDelta(c32(10n), c32(5n), 60, 1e9)).toMatchObject({ wrapped: true, delta: TWO_32 - 5n });
    expect(counterDelta(c32(10n), c32(5n), 60, 1e6).gap).toBe('implausible');
  });
});
