import { describe, expect, it } from 'vitest';
import { inspect, T0, tempStores } from './support.js';

const store = tempStores();

const INFO = { model: 'FLC-1000', firmware: '1.0.0', configId: 'ab'.repeat(32), pendingConfirm: 30 };

describe('appliance state', () => {
  it('keeps the last answer, and the identity last read through failures', async () => {
    const s = await store();
    await s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyUSB0' });
    expect(await s.applianceState.get('lb1')).toBeNull();
    await s.applianceState.observed('lb1', T0, INFO);
    expect(await s.applianceState.get('lb1')).toEqual({
      name: 'lb1',
      reachable: true,
      lastPoll: T0,
      lastAttempt: T0,
      error: null,
      model: 'FLC-1000',
      firmware: '1.0.0',
      configId: INFO.configId,
      pendingUntil: T0 + 30_000,
      group: null,
    });
    await s.applianceState.failed('lb1', T0 + 10_000, 'no answer');
    expect(await s.applianceState.get('lb1')).toMatchObject({
      reachable: false,
      lastPoll: T0,
      lastAttempt: T0 + 10_000,
      error: 'no answer',
      firmware: '1.0.0',
    });
    await s.applianceState.observed('lb1', T0 + 20_000, { ...INFO, pendingConfirm: null });
    expect(await s.applianceState.get('lb1')).toMatchObject({ reachable: true, error: null, pendingUntil: null });
  });

  it('holds rows only for inventory names, and drops them with the appliance or when told', async () => {
    const s = await store();
    await s.applianceState.observed('ghost', T0, INFO);
    expect((await s.applianceState.all()).size).toBe(0);
    await s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyUSB0' });
    await s.inventory.add({ name: 'lb2', target: 'serial:/dev/ttyUSB1' });
    await s.applianceState.observed('lb1', T0, INFO);
    await s.applianceState.observed('lb2', T0, INFO);
    await s.inventory.remove('lb1');
    expect([...(await s.applianceState.all()).keys()]).toEqual(['lb2']);
    await s.applianceState.forget('lb2');
    expect(await s.applianceState.get('lb2')).toBeNull();
  });
});

describe('inventory update', () => {
  it('changes the target and credentials, sealed as add seals them', async () => {
    const s = await store();
    await s.inventory.add({ name: 'edge', target: 'snmp://10.0.0.1', credentials: { community: 'old' } });
    const r = await s.inventory.update('edge', { target: 'snmp://10.0.0.2:1161', credentials: { community: 'new' } });
    expect(r).toMatchObject({ name: 'edge', target: 'snmp://10.0.0.2:1161', credentials: { community: 'new' } });
    expect(await s.inventory.get('edge')).toMatchObject({ target: 'snmp://10.0.0.2:1161', credentials: { community: 'new' } });
    const raw = inspect(s, (db) => db.prepare('SELECT credentials FROM appliances WHERE name = ?').get('edge') as { credentials: string });
    expect(raw.credentials).not.toContain('new');
    await expect(s.inventory.update('nobody', { target: 'serial:/dev/ttyS0' })).rejects.toThrow(expect.objectContaining({ code: 'notFound' }));
    await expect(s.inventory.update('edge', { target: 'ftp://x' })).rejects.toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(await s.inventory.names()).toEqual(['edge']);
  });

  it('keeps the group each member reports, and a state change between polls is a failover event', async () => {
    const s = await store();
    await s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyUSB0' });
    await s.inventory.add({ name: 'lb2', target: 'serial:/dev/ttyUSB1' });
    expect(await s.applianceState.observed('lb1', T0, { ...INFO, group: { name: 'pair', unit: 1, state: 'active' } })).toBeNull();
    await s.applianceState.observed('lb2', T0, { ...INFO, group: { name: 'pair', unit: 2, state: 'standby' } });
    expect((await s.applianceState.members('pair')).map((m) => [m.name, m.group])).toEqual([
      ['lb1', { name: 'pair', unit: 1, state: 'active' }],
      ['lb2', { name: 'pair', unit: 2, state: 'standby' }],
    ]);
    // The same state again is no event; a failed poll keeps the group last reported.
    await s.applianceState.observed('lb1', T0 + 1_000, { ...INFO, group: { name: 'pair', unit: 1, state: 'active' } });
    await s.applianceState.failed('lb1', T0 + 2_000, 'no answer');
    expect((await s.applianceState.get('lb1'))?.group?.state).toBe('active');
    expect(await s.events.query({ kind: 'failover' })).toEqual([]);
    const change = await s.applianceState.observed('lb1', T0 + 3_000, { ...INFO, group: { name: 'pair', unit: 1, state: 'standby' } });
    expect(change).toEqual({ group: 'pair', unit: 1, from: 'active', to: 'standby' });
    expect((await s.events.query({ kind: 'failover' })).map((e) => [e.appliance, e.ts, e.detail])).toEqual([['lb1', T0 + 3_000, change]]);
    // Leaving the group is not a failover; the member is no longer listed under it.
    expect(await s.applianceState.observed('lb1', T0 + 4_000, INFO)).toBeNull();
    expect((await s.applianceState.members('pair')).map((m) => m.name)).toEqual(['lb2']);
  });
});
