import { describe, expect, it } from 'vitest';
import { rateHeading, ratesTable, writeFrame } from '../../../src/cli/counters-rates.js';
import { computeDeltas, type PollSample } from '../../../src/poller/rates.js';
import { snapshotReadings } from '../../../src/poller/snapshot.js';
import type { CountersSnapshot } from '../../../src/protocol/counters.js';

function snapshot(conns: bigint, bytesIn: bigint): CountersSnapshot {
  const backend = { address: '10.0.0.1:80', state: 'up' as const, weight: 1, backup: false, connsActive: 2, bytesOut: 0n, connectFailures: 0n, lastChange: 0 };
  return {
    services: [
      {
        name: 'web',
        listen: '127.0.0.1:8080',
        protocol: 'tcp',
        connsTotal: conns,
        connsActive: 2,
        bytesIn,
        bytesOut: 0n,
        failures: 0n,
        fallbackConns: 0n,
        backends: [{ ...backend, connsTotal: conns, bytesIn }],
      },
    ],
  };
}

const sample = (timeMs: number, sysUpTime: number, s: CountersSnapshot): PollSample => ({ timeMs, sysUpTime, counters: snapshotReadings('lb1', s).counters });

describe('counters --watch rates', () => {
  it('shows Δ per second in the unit of each counter, for services and backends', () => {
    const before = snapshot(100n, 0n);
    const after = snapshot(120n, 20_480n);
    const interval = computeDeltas(sample(0, 0, before), sample(2_000, 200, after), { expectedIntervalMs: 2_000 });
    const text = ratesTable(after, interval);
    // 20 connections and 20 KiB in 2 s.
    expect(text).toMatch(/web\s+│\s+tcp 127\.0\.0\.1:8080\s+│\s+10\.0\s+│\s+2\s+│\s+10\.0 KiB\/s/);
    expect(text).toMatch(/10\.0\.0\.1:80\s+│\s+up\s+│\s+10\.0\s+│/);
    expect(rateHeading(new Date(2_000), interval)).toMatch(/per second over the last 2\.0s$/);
  });

  it('shows no rate at the first poll, nor across a reboot (no spike)', () => {
    const first = snapshot(5_000n, 0n);
    const noRates = /│\s+-\s+│\s+2\s+│\s+-\s+│\s+-\s+│\s+-\s+│/g;
    expect(ratesTable(first, null).match(noRates)).toHaveLength(2);
    expect(rateHeading(new Date(0), null)).toContain('first poll');
    // The counters went down and the uptime restarted: a reboot, so "-" rather than a huge rate.
    const rebooted = computeDeltas(sample(0, 90_000, first), sample(2_000, 50, snapshot(3n, 0n)), { expectedIntervalMs: 2_000 });
    expect(rateHeading(new Date(2_000), rebooted)).toContain('no rates for this interval (reboot)');
    expect(ratesTable(snapshot(3n, 0n), rebooted).match(noRates)).toHaveLength(2);
  });

  it('clears the screen only on a terminal', () => {
    const written: string[] = [];
    writeFrame({ write: (s: string) => written.push(s), isTTY: true }, 'frame');
    writeFrame({ write: (s: string) => written.push(s), isTTY: false }, 'frame');
    writeFrame({ write: (s: string) => written.push(s) }, 'frame');
    expect(written[0]).toBe('\x1b[2J\x1b[Hframe\n');
    expect(written.slice(1)).toEqual(['frame\n\n', 'frame\n\n']);
  });
});
