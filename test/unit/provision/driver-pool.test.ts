import { describe, expect, it } from 'vitest';
import { DriverError, type ApplianceDriver, type ApplianceEvent } from '../../../drivers/driver.js';
import { DriverPool } from '../../../src/provision/driver-pool.js';
import type { ApplianceRecord } from '../../../src/store/inventory.js';

/** A driver that records what happened to it; `info` answers after `gate` opens. */
class FakeDriver {
  closed = false;
  listeners: ((e: ApplianceEvent) => void)[] = [];
  constructor(readonly target: string) {}
  onEvent(l: (e: ApplianceEvent) => void) {
    this.listeners.push(l);
    return () => (this.listeners = this.listeners.filter((x) => x !== l));
  }
  async close() {
    this.closed = true;
  }
}

const record = (name: string, target = `snmp://127.0.0.1:${name.length}`): ApplianceRecord => ({
  name,
  target,
  credentials: { community: 'public' },
  created: 0,
});

function pool(onEvent?: (appliance: string, e: ApplianceEvent) => void) {
  const opened: FakeDriver[] = [];
  const p = new DriverPool(async (r) => {
    const d = new FakeDriver(r.target);
    opened.push(d);
    return d as unknown as ApplianceDriver;
  }, onEvent);
  return { p, opened };
}

describe('driver pool', () => {
  it('opens one driver per appliance and keeps it between uses', async () => {
    const { p, opened } = pool();
    const a = record('a');
    await p.use(a, async () => 1);
    await p.use(a, async () => 2);
    await p.use(record('b'), async () => 3);
    expect(opened.map((d) => d.target)).toEqual([a.target, record('b').target]);
  });

  it('runs the operations on one appliance one at a time, in order, and others meanwhile', async () => {
    const { p } = pool();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = p.use(record('a'), async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
    });
    const second = p.use(record('a'), async () => void log.push('a2'));
    const other = p.use(record('b'), async () => void log.push('b1'));
    await other;
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('drops a driver that lost its appliance and opens a new one next time; other errors keep it', async () => {
    const { p, opened } = pool();
    const a = record('a');
    await expect(p.use(a, async () => Promise.reject(new DriverError('refused', 'no')))).rejects.toThrow('no');
    expect(opened[0]!.closed).toBe(false);
    await expect(p.use(a, async () => Promise.reject(new DriverError('unreachable', 'gone')))).rejects.toThrow('gone');
    expect(opened[0]!.closed).toBe(true);
    await p.use(a, async () => undefined);
    expect(opened).toHaveLength(2);
  });

  it("reopens when the appliance's target or credentials change", async () => {
    const { p, opened } = pool();
    await p.use(record('a', 'snmp://127.0.0.1:1'), async () => undefined);
    await p.use(record('a', 'snmp://127.0.0.1:2'), async () => undefined);
    expect(opened.map((d) => [d.target, d.closed])).toEqual([
      ['snmp://127.0.0.1:1', true],
      ['snmp://127.0.0.1:2', false],
    ]);
  });

  it("passes the drivers' events on with the appliance's name, until the driver is forgotten", async () => {
    const seen: string[] = [];
    const { p, opened } = pool((appliance, e) => seen.push(`${appliance} ${e.kind}`));
    await p.use(record('a'), async () => undefined);
    opened[0]!.listeners.forEach((l) => l({ kind: 'commit', at: 1, configId: 'x', pendingConfirm: false }));
    await p.forget('a');
    expect(opened[0]!.closed).toBe(true);
    expect(opened[0]!.listeners).toEqual([]);
    expect(seen).toEqual(['a commit']);
  });

  it('closes everything on close and refuses work after', async () => {
    const { p, opened } = pool();
    await p.use(record('a'), async () => undefined);
    await p.use(record('bb'), async () => undefined);
    await p.close();
    expect(opened.every((d) => d.closed)).toBe(true);
    await expect(p.use(record('a'), async () => undefined)).rejects.toMatchObject({ code: 'unreachable' });
  });
});
