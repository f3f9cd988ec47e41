import { describe, expect, it } from 'vitest';
import type { ApplianceInfo } from '../../../drivers/driver.js';
import { FleetState, type RecordedChange } from '../../../src/api/fleet-state.js';
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
  it('knows nothing before the first poll, then rates from the second', async () => {
    const f = new FleetState(10_000);
    await f.observe('a', poll(0, 100n));
    expect(summarize(f.get('a')!).rates.conns).toBeNull();
    await f.observe('a', poll(10, 150n));
    const s = summarize(f.get('a')!);
    expect(s).toMatchObject({ reachable: true, configId: 'aa', firmware: '1.0.0', totals: { connsTotal: 150, connsActive: 2, bytesIn: 15_000 } });
    expect(s.rates).toEqual({ conns: 5, bytesIn: 500, bytesOut: 5000 });
    expect(s.services[0]!.backends[0]!.rates.conns).toBe(5);
  });

  it('never reports a counter that went down (a reboot) as a rate', async () => {
    const f = new FleetState(10_000);
    await f.observe('a', poll(0, 100n));
    await f.observe('a', { ...poll(10, 3n), sysUpTime: 50 });
    expect(summarize(f.get('a')!).rates.conns).toBeNull();
  });

  it('turns changes between polls into events: unreachable once, reachable again, config, backend state', async () => {
    const f = new FleetState(10_000);
    expect(f.failed('a', 'no SNMP answer', 1)).toMatchObject([{ kind: 'unreachable', detail: { error: 'no SNMP answer' } }]);
    expect(f.failed('a', 'no SNMP answer', 2)).toEqual([]);
    expect((await f.observe('a', poll(0, 1n))).map((e) => e.kind)).toEqual(['reachable']);
    expect(await f.observe('a', poll(10, 2n))).toEqual([]);
    const changed = await f.observe('a', poll(20, 3n, 'bb', 'down'));
    expect(changed).toMatchObject([
      { kind: 'config-changed', detail: { before: 'aa', after: 'bb' } },
      { kind: 'backend-state', detail: { service: 'web', backend: '10.0.1.1:80', before: 'up', after: 'down' } },
    ]);
    expect(f.get('a')!.reachable).toBe(true);
    f.failed('a', 'gone', 3);
    // Last known identity stays while unreachable.
    expect(summarize(f.get('a')!)).toMatchObject({ reachable: false, error: 'gone', configId: 'bb' });
  });

  it("takes the agent's own changes before the next poll, without an event for them then", async () => {
    const f = new FleetState(10_000);
    await f.observe('a', poll(0, 1n));
    f.noteConfig('a', 'cc', 300);
    expect(summarize(f.get('a')!)).toMatchObject({ configId: 'cc', pendingConfirm: 300 });
    expect((await f.observe('a', poll(10, 1n, 'cc'))).map((e) => e.kind)).toEqual([]);
  });

  describe('drift: a config change this agent did not make', () => {
    /** An audit log in memory: what the CLI and the API record of their changes. */
    const ledger = () => {
      const entries: (RecordedChange & { appliance: string })[] = [];
      return {
        record: (appliance: string, ts: number, before: string, after: string) => entries.push({ appliance, ts, before, after }),
        changes: async (appliance: string, since: number) => entries.filter((e) => e.appliance === appliance && e.ts >= since),
      };
    };
    const kinds = (events: { kind: string }[]) => events.map((e) => e.kind);
    const withPending = (p: ReturnType<typeof poll>, seconds: number) => ({ ...p, info: info(p.info.configId, seconds) });

    it('an unexplained change becomes a drift event at the next poll, once', async () => {
      const f = new FleetState(10_000, ledger());
      await f.observe('a', poll(0, 1n));
      expect(kinds(await f.observe('a', poll(10, 1n, 'bb')))).toEqual(['config-changed']);
      const next = await f.observe('a', poll(20, 1n, 'bb'));
      expect(next).toMatchObject([{ kind: 'drift', appliance: 'a', detail: { before: 'aa', after: 'bb', seenAt: 1_010_000 } }]);
      expect(await f.observe('a', poll(30, 1n, 'bb'))).toEqual([]);
    });

    it("the agent's own push is no drift, even when its audit entry is written after the poll that saw it", async () => {
      const l = ledger();
      const f = new FleetState(10_000, l);
      await f.observe('a', poll(0, 1n));
      expect(kinds(await f.observe('a', poll(10, 1n, 'bb')))).toEqual(['config-changed']);
      l.record('a', 1_010_500, 'aa', 'bb');
      expect(await f.observe('a', poll(20, 1n, 'bb'))).toEqual([]);
      // Recorded under another appliance: that one's push, not this one's.
      l.record('b', 1_025_000, 'bb', 'cc');
      await f.observe('a', poll(30, 1n, 'cc'));
      expect(kinds(await f.observe('a', poll(40, 1n, 'cc')))).toEqual(['drift']);
    });

    it('a push of ours to the same id long ago does not explain a change now', async () => {
      const l = ledger();
      l.record('a', 900_000, 'aa', 'bb');
      const f = new FleetState(10_000, l);
      await f.observe('a', poll(0, 1n));
      await f.observe('a', poll(10, 1n, 'bb'));
      expect(kinds(await f.observe('a', poll(20, 1n, 'bb')))).toEqual(['drift']);
    });

    it("changes noted by the API are the agent's own", async () => {
      const f = new FleetState(10_000);
      await f.observe('a', poll(0, 1n));
      f.noteConfig('a', 'cc', null);
      // The poll raced the note: it saw the id the note then set.
      await f.observe('a', poll(10, 1n, 'dd'));
      f.noteConfig('a', 'dd', null);
      expect(await f.observe('a', poll(20, 1n, 'dd'))).toEqual([]);
    });

    it("a confirm timeout reverting the agent's commit is no drift; reverting someone else's is", async () => {
      const l = ledger();
      const f = new FleetState(10_000, l);
      await f.observe('a', poll(0, 1n));
      l.record('a', 1_005_000, 'aa', 'bb');
      await f.observe('a', withPending(poll(10, 1n, 'bb'), 30));
      expect(kinds(await f.observe('a', poll(50, 1n, 'aa')))).toEqual(['config-changed']);
      expect(await f.observe('a', poll(60, 1n, 'aa'))).toEqual([]);

      const other = new FleetState(10_000, ledger());
      await other.observe('a', poll(0, 1n));
      await other.observe('a', withPending(poll(10, 1n, 'bb'), 30));
      // The commit nobody here made is drift; so is the revert of it.
      expect(kinds(await other.observe('a', poll(50, 1n, 'aa')))).toEqual(['config-changed', 'drift']);
      expect(await other.observe('a', poll(60, 1n, 'aa'))).toMatchObject([{ kind: 'drift', detail: { before: 'bb', after: 'aa' } }]);
    });
  });
});
