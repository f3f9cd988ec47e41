import { describe, expect, it } from 'vitest';
import { refusalOf } from '../../../../firmware/failover/action-refusal.js';
import { groupStatus, peer } from '../mgmt/mib/failover-fixture.js';

describe('refusalOf (an operator action on a group member, for every channel)', () => {
  it('a lone appliance refuses every action as notInGroup', () => {
    for (const a of ['standby', 'offline', 'online'] as const)
      expect(refusalOf(a, null)).toEqual({ code: 'notInGroup', reason: expect.stringContaining('not a member of a failover group') });
  });

  it('an active goes standby only when a standby peer that can serve is heard on some link', () => {
    expect(refusalOf('standby', groupStatus())).toBeNull();
    // The serial cable alone is a live path.
    expect(refusalOf('standby', groupStatus({ peers: [peer({ links: { udp: 'silent', serial: 'up' } })] }))).toBeNull();
    // One good taker among others is enough.
    expect(refusalOf('standby', groupStatus({ peers: [peer({ unit: 3, canServe: false }), peer()] }))).toBeNull();
    const noTaker = [
      [],
      [peer({ links: { udp: 'silent', serial: 'silent' } })],
      [peer({ links: {} })],
      [peer({ canServe: false })],
      [peer({ state: 'offline' })],
      [peer({ state: 'active' })],
    ];
    for (const peers of noTaker) {
      const r = refusalOf('standby', groupStatus({ peers }));
      expect(r, JSON.stringify(peers)).toEqual({ code: 'failoverState', reason: expect.stringContaining('no live standby peer that can serve') });
    }
  });

  it('a standby or offline member may be told to go standby unless it already holds back', () => {
    expect(refusalOf('standby', groupStatus({ state: 'standby', peers: [] }))).toBeNull();
    expect(refusalOf('standby', groupStatus({ state: 'offline', peers: [] }))).toBeNull();
    expect(refusalOf('standby', groupStatus({ state: 'standby', holding: true }))).toEqual({
      code: 'failoverState',
      reason: 'already standby and holding back',
    });
  });

  it('refuses what would change nothing, and takes the rest', () => {
    expect(refusalOf('offline', groupStatus({ state: 'offline' }))).toEqual({ code: 'failoverState', reason: 'already offline' });
    expect(refusalOf('offline', groupStatus({ peers: [] }))).toBeNull();
    expect(refusalOf('online', groupStatus())).toEqual({ code: 'failoverState', reason: 'already online (active)' });
    expect(refusalOf('online', groupStatus({ state: 'standby' }))).toEqual({ code: 'failoverState', reason: 'already online (standby)' });
    expect(refusalOf('online', groupStatus({ state: 'offline' }))).toBeNull();
    expect(refusalOf('online', groupStatus({ state: 'standby', holding: true }))).toBeNull();
  });
});
