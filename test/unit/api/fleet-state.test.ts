import { describe, expect, it } from 'vitest';
import type { ApplianceInfo } from '../../../drivers/driver.js';
import { FleetState } from '../../../src/api/fleet-state.js';
import { summarize } from '../../../src/api/fleet-summary.js';
import type { BackendOperState, CountersSnapshot } from '../../../src/protocol/counters.js';

const info = (configId: string, pendingConfirm: number | null = null): ApplianceInfo => ({
  model: 'FL-1000',
  serialNumber: 'S1',
  firmware: '1.0.0',
  configId,
  uptimeSeconds: 100,
  pendingConfirm,
});

function snapshot(conns: bigint, state: BackendOperState = 'up'): CountersSnapshot {
  return {
    services: [
      {
        name: 'web',
        listen: '10.0.0.1:80',
        protocol: 'tcp',
        connsTotal: conns,
        connsActive: 2,
        bytesIn: conns * 100n,
        bytesOut: conns * 1000n,
        failures: 0n,
        fallbackConns: 0n,
        backends: [
          {
            address: '10.0.1.1:80',
            state,
            weight: 1,
            backup: false,
            connsTotal: conns,
            connsActive: 2,
            bytesIn: conns * 100n,
            bytesOut: conns * 1000n,
            connectFailures: 0n,
            lastChange: 0,
          },
        ],
      },
    ],
  };
}

/** A poll `s` seconds after the first, the appliance's uptime advancing with it. */
const poll = (s: number, conns: bigint, configId = 'aa', state: BackendOperState = 'up') => ({
  timeMs: 1_000_000 + s * 1000,
  pollMs: 5,
  info: info(configId),
  sysUpTime: 10_000 + s * 100,
  snapshot: snapshot(conns, state),
});

describe('fleet state', () => {
  it('knows nothing before the first poll, then rates from the second', () => {
    const f = new FleetState(10_000);
    f.observe('a', poll(0, 100n));
    expect(summarize(f.get('a')!).rates.conns).toBeNull();
    f.observe('a', poll(10, 150n));
    const s = summarize(f.get('a')!);
    expect(s).toMatchObject({ reachable: true, configId: 'aa', firmware: '1.0.0', totals: { connsTotal: 150, connsActive: 2, bytesIn: 15_000 } });
    expect(s.rates).toEqual({ conns: 5, bytesIn: 500, bytesOut: 5000 });
    expect(s.services[0]!.backends[0]!.rates.conns).toBe(5);
  });

  it('never reports a counter that went down (a reboot) as a rate', () => {
    const f = new FleetState(10_000);
    f.observe('a', poll(0, 100n));
    f.observe('a', { ...poll(10, 3n), sysUpTime: 50 });
    expect(summarize(f.get('a')!).rates.conns).toBeNull();
  });

  it('turns changes between polls into events: unreachable once, reachable again, config, backend state', () => {
    const f = new FleetState(10_000);
    expect(f.failed('a', 'no SNMP answer', 1)).toMatchObject([{ kind: 'unreachable', detail: { error: 'no SNMP answer' } }]);
    expect(f.failed('a', 'no SNMP answer', 2)).toEqual([]);
    expect(f.observe('a', poll(0, 1n)).map((e) => e.kind)).toEqual(['reachable']);
    expect(f.observe('a', poll(10, 2n))).toEqual([]);
    const changed = f.observe('a', poll(20, 3n, 'bb', 'down'));
    expect(changed).toMatchObject([
      { kind: 'config-changed', detail: { before: 'aa', after: 'bb' } },
      { kind: 'backend-state', detail: { service: 'web', backend: '10.0.1.1:80', before: 'up', after: 'down' } },
    ]);
    expect(f.get('a')!.reachable).toBe(true);
    f.failed('a', 'gone', 3);
    // Last known identity stays while unreachable.
    expect(summarize(f.get('a')!)).toMatchObject({ reachable: false, error: 'gone', configId: 'bb' });
  });

  it("takes the agent's own changes before the next poll, without an event for them then", () => {
    const f = new FleetState(10_000);
    f.observe('a', poll(0, 1n));
    f.noteConfig('a', 'cc', 300);
    expect(summarize(f.get('a')!)).toMatchObject({ configId: 'cc', pendingConfirm: 300 });
    expect(f.observe('a', poll(10, 1n, 'cc')).map((e) => e.kind)).toEqual([]);
  });
});
