/** Snapshots through the recorder into a real SQLite store: rates come out right, a reboot makes a gap, never a spike. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CountersSnapshot } from '../../../src/protocol/counters.js';
import { PollRecorder } from '../../../src/poller/recorder.js';
import { openStore } from '../../../src/store/index.js';
import { T0, tempDirs } from '../store/support.js';

const newDir = tempDirs();

function snapshot(bytesIn: bigint, connsActive: number): CountersSnapshot {
  return {
    services: [
      {
        name: 'web',
        listen: '192.0.2.10:80',
        protocol: 'tcp',
        connsTotal: bytesIn / 1000n,
        connsActive,
        bytesIn,
        bytesOut: bytesIn * 2n,
        failures: 0n,
        fallbackConns: 0n,
        backends: [
          {
            address: '10.0.0.2:8080',
            state: 'up',
            weight: 1,
            backup: false,
            connsTotal: 0n,
            connsActive,
            bytesIn,
            bytesOut: 0n,
            connectFailures: 0n,
            lastChange: 0,
          },
        ],
      },
    ],
  };
}

describe('poll recorder', () => {
  it('stores rates, turns a reboot into a gap and carries on from the new baseline', async () => {
    const store = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
    try {
      const recorder = new PollRecorder(store.metrics, { expectedIntervalMs: 10_000 });
      // Up 1000 s; 1 MB/s; reboot after the 4th poll (uptime back to 5 s, counters near zero).
      const polls = [
        { t: 0, up: 100_000, bytes: 5_000_000n },
        { t: 10, up: 101_000, bytes: 15_000_000n },
        { t: 20, up: 102_000, bytes: 25_000_000n },
        { t: 30, up: 103_000, bytes: 35_000_000n },
        { t: 40, up: 500, bytes: 4_000_000n },
        { t: 50, up: 1_500, bytes: 14_000_000n },
        { t: 80, up: 4_500, bytes: 44_000_000n }, // two polls missed: bridged, still 1 MB/s
      ];
      const intervals = [];
      for (const p of polls) {
        const { points, interval } = await recorder.record({ appliance: 'lb1', timeMs: T0 + p.t * 1000, sysUpTime: p.up, snapshot: snapshot(p.bytes, 7) });
        intervals.push(interval);
        await store.metrics.write(points);
      }
      expect(intervals.map((i) => i.gap)).toEqual(['baseline', null, null, null, 'reboot', null, null]);
      expect(intervals[6]!.missedPolls).toBe(2);
      const q = { appliance: 'lb1', service: 'web', from: T0, to: T0 + 80_000, resolution: 'raw' as const };
      const rates = (await store.metrics.query({ ...q, counter: 'bytesIn' }))!.points.map((p) => p.value);
      expect(rates).toEqual([null, 1e6, 1e6, 1e6, null, 1e6, 1e6]);
      const backend = (await store.metrics.query({ ...q, backend: '10.0.0.2:8080', counter: 'bytesIn' }))!.points.map((p) => p.value);
      expect(backend).toEqual(rates);
      expect((await store.metrics.query({ ...q, counter: 'connsActive' }))!.points.every((p) => p.value === 7)).toBe(true);
      const minute = (await store.metrics.query({ ...q, counter: 'bytesOut', resolution: '1m' }))!.points;
      // The first bucket, (T0 − 60 s, T0], holds only the baseline: a gap.
      expect(minute.map((p) => p.value)).toEqual([null, 2e6, 2e6]);
      expect((await store.metrics.listSeries('lb1')).length).toBe(6 + 7);
    } finally {
      await store.close();
    }
  });
  it('a rule-table change (a backend added, then the order changed) lands each reading in its own series', async () => {
    const store = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
    try {
      const recorder = new PollRecorder(store.metrics, { expectedIntervalMs: 10_000 });
      const withBackends = (addresses: string[], bytes: bigint): CountersSnapshot => {
        const s = snapshot(bytes, 1);
        const template = s.services[0]!.backends[0]!;
        s.services[0]!.backends = addresses.map((address, i) => ({ ...template, address, bytesIn: bytes * BigInt(i + 1) }));
        return s;
      };
      const polls = [
        withBackends(['10.0.0.2:8080'], 1_000n),
        withBackends(['10.0.0.2:8080'], 2_000n),
        withBackends(['10.0.0.2:8080', '10.0.0.3:8080'], 3_000n),
        withBackends(['10.0.0.3:8080', '10.0.0.2:8080'], 4_000n),
      ];
      for (const [i, snap] of polls.entries()) {
        await store.metrics.write(
          (await recorder.record({ appliance: 'lb1', timeMs: T0 + i * 10_000, sysUpTime: 100_000 + i * 1_000, snapshot: snap })).points,
        );
      }
      const q = { appliance: 'lb1', service: 'web', from: T0, to: T0 + 40_000, resolution: 'raw' as const, counter: 'bytesIn' };
      // 10.0.0.2 is backend 1 of 1, 1 of 2, then 2 of 2: 1000, 2000, 3000, 8000 octets in.
      expect((await store.metrics.query({ ...q, backend: '10.0.0.2:8080' }))!.points.map((p) => p.sum)).toEqual([null, 1_000, 1_000, 5_000]);
      // 10.0.0.3 appears at the third poll (6000) and is first at the fourth (4000): a reset.
      expect((await store.metrics.query({ ...q, backend: '10.0.0.3:8080' }))!.points.map((p) => p.sum)).toEqual([null, null]);
    } finally {
      await store.close();
    }
  });
});

describe('poll recorder: two polls in one second', () => {
  it('leaves the second out and counts its increase in the next interval: nothing lost', async () => {
    const store = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
    try {
      const recorder = new PollRecorder(store.metrics, { expectedIntervalMs: 1_000 });
      const at = async (ms: number, up: number, bytes: bigint) =>
        store.metrics.write((await recorder.record({ appliance: 'lb1', timeMs: T0 + ms, sysUpTime: up, snapshot: snapshot(bytes, 1) })).points);
      await at(0, 10_000, 1_000n);
      await at(400, 10_040, 5_000n); // same second as the first: left out
      await at(1_000, 10_100, 9_000n);
      const sums = (await store.metrics.query({
        appliance: 'lb1',
        service: 'web',
        counter: 'bytesIn',
        from: T0,
        to: T0 + 2_000,
        resolution: 'raw',
      }))!.points.map((p) => p.sum);
      expect(sums).toEqual([null, 8_000]);
    } finally {
      await store.close();
    }
  });
});

describe('metric store: queryMany', () => {
  it('gives every series of an appliance exactly what one query per series gives, in one pass', async () => {
    const store = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
    try {
      const recorder = new PollRecorder(store.metrics, { expectedIntervalMs: 10_000 });
      for (const [i, t] of [0, 10, 20, 30, 40].entries()) {
        const { points } = await recorder.record({
          appliance: 'lb1',
          timeMs: T0 + t * 1000,
          sysUpTime: 100_000 + t * 100,
          snapshot: snapshot(BigInt(1_000_000 * (i + 1) ** 2), i),
        });
        await store.metrics.write(points);
      }
      const keys = (await store.metrics.listSeries('lb1')).map(({ service, backend, counter }) => ({
        ...(service ? { service } : {}),
        ...(backend ? { backend } : {}),
        counter,
      }));
      keys.push({ counter: 'no-such-counter' });
      const many = await store.metrics.queryMany('lb1', keys, T0 + 5_000, T0 + 40_000, 'raw');
      const one = [];
      for (const k of keys) one.push(await store.metrics.query({ appliance: 'lb1', ...k, from: T0 + 5_000, to: T0 + 40_000, resolution: 'raw' }));
      expect(many).toEqual(one);
      expect(many.at(-1)).toBeNull();
      expect(many.filter((r) => r !== null && r.points.length === 4)).toHaveLength(keys.length - 1);
    } finally {
      await store.close();
    }
  });
});
