/** Polls through the recorder into a real SQLite store wrapped by the exporting store: the samples sent are running totals and readings, with appliance labels only. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CountersSnapshot } from '../../../../src/protocol/counters.js';
import { PollRecorder } from '../../../../src/poller/recorder.js';
import { ExportingMetricStore } from '../../../../src/poller/remote-write/exporting-store.js';
import type { QueuedSample } from '../../../../src/poller/remote-write/sender.js';
import { openStore } from '../../../../src/store/index.js';
import type { MetricStore, Point, WriteSummary } from '../../../../src/store/metric-store.js';
import { T0, tempDirs } from '../../store/support.js';

const newDir = tempDirs();

function snapshot(conns: bigint, active: number): CountersSnapshot {
  return {
    services: [
      {
        name: 'web',
        listen: '192.0.2.10:80',
        protocol: 'tcp',
        connsTotal: conns,
        connsActive: active,
        bytesIn: conns * 100n,
        bytesOut: 0n,
        failures: 0n,
        fallbackConns: 0n,
        backends: [
          {
            address: '10.0.0.2:8080',
            state: 'up',
            weight: 3,
            backup: false,
            connsTotal: conns,
            connsActive: active,
            bytesIn: 0n,
            bytesOut: 0n,
            connectFailures: 0n,
            lastChange: 0,
          },
        ],
      },
    ],
  };
}

function capture() {
  const pushed: QueuedSample[][] = [];
  return { pushed, sink: { push: (s: readonly QueuedSample[]) => void pushed.push([...s]) } };
}

const labelsOf = (s: QueuedSample) => Object.fromEntries(s.series.labels.map((l) => [l.name, l.value]));

/** The values sent for one metric (and backend, or none), in order. */
function valuesOf(pushed: QueuedSample[][], name: string, backend?: string): Array<[number, number]> {
  return pushed
    .flat()
    .filter((s) => labelsOf(s).__name__ === name && labelsOf(s).backend === backend)
    .map((s) => [s.timestamp, s.value]);
}

describe('exporting metric store', () => {
  it('sends counters as running totals from 0 that carry on across a reboot, gauges as read, labelled by appliance', async () => {
    const store = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
    try {
      const { pushed, sink } = capture();
      const exporting = new ExportingMetricStore(store.metrics, sink);
      const recorder = new PollRecorder(exporting, { expectedIntervalMs: 10_000 });
      // 10 connections a second; the appliance reboots after the third poll (counters from 0 again).
      const polls = [
        { t: 0, up: 100_000, conns: 5_000n },
        { t: 10, up: 101_000, conns: 5_100n },
        { t: 20, up: 102_000, conns: 5_200n },
        { t: 30, up: 500, conns: 50n },
        { t: 40, up: 1_500, conns: 150n },
      ];
      for (const p of polls) {
        const { points } = await recorder.record({ appliance: 'lb1', timeMs: T0 + p.t * 1000, sysUpTime: p.up, snapshot: snapshot(p.conns, 4) });
        await exporting.write(points);
      }
      const at = (t: number) => T0 + t * 1000;
      // Baseline 0; +100, +100; the reboot's interval is a gap (its increase unknown): no step back; +100.
      expect(valuesOf(pushed, 'fulcrum_service_conns_total')).toEqual([
        [at(0), 0],
        [at(10), 100],
        [at(20), 200],
        [at(30), 200],
        [at(40), 300],
      ]);
      expect(valuesOf(pushed, 'fulcrum_service_bytes_in_total').map(([, v]) => v)).toEqual([0, 10_000, 20_000, 20_000, 30_000]);
      expect(valuesOf(pushed, 'fulcrum_backend_conns_total', '10.0.0.2:8080').map(([, v]) => v)).toEqual([0, 100, 200, 200, 300]);
      expect(valuesOf(pushed, 'fulcrum_backend_weight', '10.0.0.2:8080').map(([, v]) => v)).toEqual([3, 3, 3, 3, 3]);
      expect(valuesOf(pushed, 'fulcrum_service_conns_active').map(([, v]) => v)).toEqual([4, 4, 4, 4, 4]);
      // The store got the same points as without the wrapper.
      const rates = (await store.metrics.query({ appliance: 'lb1', service: 'web', counter: 'connsTotal', from: T0, to: at(40), resolution: 'raw' }))!.points;
      expect(rates.map((p) => p.value)).toEqual([null, 10, 10, null, 10]);
      for (const s of pushed.flat()) {
        const names = s.series.labels.map((l) => l.name);
        expect(names).toEqual([...names].sort());
        expect(names.every((n) => ['__name__', 'appliance', 'service', 'backend'].includes(n))).toBe(true);
        expect(labelsOf(s).appliance).toBe('lb1');
      }
    } finally {
      await store.close();
    }
  });

  /** A store whose write answers as told, to see what the wrapper does with each answer. */
  function scripted(answer: () => Promise<WriteSummary>): MetricStore {
    let next = 1;
    return {
      series: async () => next++,
      seriesMany: async (r) => r.map(() => next++),
      listSeries: async () => [],
      write: (_points: readonly Point[]) => answer(),
      query: async () => null,
      queryMany: async () => [],
      prune: async () => ({ raw: 0, minute: 0, hour: 0 }),
      close: async () => undefined,
    };
  }

  it('starts a total again at 0 when the agent holds the appliance under a new lease (it came back), not before', async () => {
    const { pushed, sink } = capture();
    const exporting = new ExportingMetricStore(
      scripted(async () => ({ written: 1, stale: 0, fenced: 0 })),
      sink,
    );
    const [a] = await exporting.seriesMany([{ key: { appliance: 'x', counter: 'ifInOctets.data0' }, kind: 'counter' }]);
    const fence = (epoch: number) => ({ agent: 'me', epochs: new Map([['x', epoch]]) });
    await exporting.write([{ series: a!, ts: 1000, value: null }], fence(4));
    await exporting.write([{ series: a!, ts: 2000, value: 5n }], fence(4));
    // Another agent held x meanwhile (epoch 5); this one gets it back under epoch 6.
    await exporting.write([{ series: a!, ts: 9000, value: null }], fence(6));
    await exporting.write([{ series: a!, ts: 10_000, value: 3n }], fence(6));
    expect(pushed.flat().map((q) => [q.timestamp, q.value])).toEqual([
      [1000, 0],
      [2000, 5],
      [9000, 0],
      [10_000, 3],
    ]);
  });

  it('sends nothing of a batch the store fenced in part, or failed to write', async () => {
    const answers: Array<() => Promise<WriteSummary>> = [
      async () => ({ written: 1, stale: 0, fenced: 1 }),
      async () => {
        throw new Error('store gone');
      },
      async () => ({ written: 2, stale: 0, fenced: 0 }),
    ];
    const { pushed, sink } = capture();
    const exporting = new ExportingMetricStore(
      scripted(() => answers.shift()!()),
      sink,
    );
    const [a, b] = await exporting.seriesMany([
      { key: { appliance: 'x', counter: 'ifInOctets.data0' }, kind: 'counter' },
      { key: { appliance: 'y', counter: 'ifInOctets.data0' }, kind: 'counter' },
    ]);
    await exporting.write([
      { series: a!, ts: 1000, value: null },
      { series: b!, ts: 1000, value: null },
    ]);
    await expect(exporting.write([{ series: a!, ts: 2000, value: 5n }])).rejects.toThrow('store gone');
    await exporting.write([
      { series: a!, ts: 3000, value: 7n },
      { series: 999, ts: 3000, value: 1n }, // an id never resolved through the wrapper: not sent
    ]);
    expect(pushed).toHaveLength(1);
    const [only] = pushed[0]!;
    expect(pushed[0]).toHaveLength(1);
    expect(labelsOf(only!)).toEqual({ __name__: 'fulcrum_if_in_octets_total', appliance: 'x', interface: 'data0' });
    // The total counts every increase the recorder saw, sent or not.
    expect(only!.value).toBe(12);
  });
});
