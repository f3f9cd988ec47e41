import { describe, expect, it } from 'vitest';
import { T0, tempStores } from './support.js';

const store = tempStores();

const INFO = { model: 'FLC-1000', firmware: '1.0.0', configId: 'ab'.repeat(32), pendingConfirm: 30 };

describe('appliance state', () => {
  it('keeps the last answer, and the identity last read through failures', () => {
    const s = store();
    s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyUSB0' });
    expect(s.applianceState.get('lb1')).toBeNull();
    s.applianceState.observed('lb1', T0, INFO);
    expect(s.applianceState.get('lb1')).toEqual({
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
    s.applianceState.failed('lb1', T0 + 10_000, 'no answer');
    expect(s.applianceState.get('lb1')).toMatchObject({ reachable: false, lastPoll: T0, lastAttempt: T0 + 10_000, error: 'no answer', firmware: '1.0.0' });
    s.applianceState.observed('lb1', T0 + 20_000, { ...INFO, pendingConfirm: null });
    expect(s.applianceState.get('lb1')).toMatchObject({ reachable: true, error: null, pendingUntil: null });
  });

  it('holds rows only for inventory names, and drops them with the appliance or when told', () => {
    const s = store();
    s.applianceState.observed('ghost', T0, INFO);
    expect(s.applianceState.all().size).toBe(0);
    s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyUSB0' });
    s.inventory.add({ name: 'lb2', target: 'serial:/dev/ttyUSB1' });
    s.applianceState.observed('lb1', T0, INFO);
    s.applianceState.observed('lb2', T0, INFO);
    s.inventory.remove('lb1');
    expect([...s.applianceState.all().keys()]).toEqual(['lb2']);
    s.applianceState.forget('lb2');
    expect(s.applianceState.get('lb2')).toBeNull();
  });
});

describe('inventory update', () => {
  it('changes the target and credentials, sealed as add seals them', () => {
    const s = store();
    s.inventory.add({ name: 'edge', target: 'snmp://10.0.0.1', credentials: { community: 'old' } });
    const r = s.inventory.update('edge', { target: 'snmp://10.0.0.2:1161', credentials: { community: 'new' } });
    expect(r).toMatchObject({ name: 'edge', target: 'snmp://10.0.0.2:1161', credentials: { community: 'new' } });
    expect(s.inventory.get('edge')).toMatchObject({ target: 'snmp://10.0.0.2:1161', credentials: { community: 'new' } });
    const raw = s.db.prepare('SELECT credentials FROM appliances WHERE name = ?').get('edge') as { credentials: string };
    expect(raw.credentials).not.toContain('new');
    expect(() => s.inventory.update('nobody', { target: 'serial:/dev/ttyS0' })).toThrow(expect.objectContaining({ code: 'notFound' }));
    expect(() => s.inventory.update('edge', { target: 'ftp://x' })).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(s.inventory.names()).toEqual(['edge']);
  });

  it('keeps the group each member reports, and a state change between polls is a failover event', () => {
    const s = store();
    s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyUSB0' });
    s.inventory.add({ name: 'lb2', target: 'serial:/dev/ttyUSB1' });
    expect(s.applianceState.observed('lb1', T0, { ...INFO, group: { name: 'pair', unit: 1, state: 'active' } })).toBeNull();
    s.applianceState.observed('lb2', T0, { ...INFO, group: { name: 'pair', unit: 2, state: 'standby' } });
    expect(s.applianceState.members('pair').map((m) => [m.name, m.group])).toEqual([
      ['lb1', { name: 'pair', unit: 1, state: 'active' }],
      ['lb2', { name: 'pair', unit: 2, state: 'standby' }],
    ]);
    // The same state again is no event; a failed poll keeps the group last reported.
    s.applianceState.observed('lb1', T0 + 1_000, { ...INFO, group: { name: 'pair', unit: 1, state: 'active' } });
    s.applianceState.failed('lb1', T0 + 2_000, 'no answer');
    expect(s.applianceState.get('lb1')?.group?.state).toBe('active');
    expect(s.events.query({ kind: 'failover' })).toEqual([]);
    const change = s.applianceState.observed('lb1', T0 + 3_000, { ...INFO, group: { name: 'pair', unit: 1, state: 'standby' } });
    expect(change).toEqual({ group: 'pair', unit: 1, from: 'active', to: 'standby' });
    expect(s.events.query({ kind: 'failover' }).map((e) => [e.appliance, e.ts, e.detail])).toEqual([['lb1', T0 + 3_000, change]]);
    // Leaving the group is not a failover; the member is no longer listed under it.
    expect(s.applianceState.observed('lb1', T0 + 4_000, INFO)).toBeNull();
    expect(s.applianceState.members('pair').map((m) => m.name)).toEqual(['lb2']);
  });
});
