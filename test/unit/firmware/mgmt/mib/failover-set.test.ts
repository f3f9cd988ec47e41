import { describe, expect, it } from 'vitest';
import { applyFailoverAction, planFailoverSet } from '../../../../../firmware/mgmt/mib/failover-set.js';
import * as Mib from '../../../../../src/protocol/mib/fulcrum-mib.js';
import type { Oid } from '../../../../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../../../../src/protocol/mib/smi.js';
import { groupStatus, peer } from './failover-fixture.js';

const action = (value: unknown, type: number = SmiType.Integer, o: Oid = [...Mib.fulcrumFoAction, 0]) => ({ oid: o, type, value });
const code = Mib.FoActionCode;

describe('planFailoverSet (fulcrumFoAction)', () => {
  it('takes go standby on an active with a live standby peer that can serve', () => {
    expect(planFailoverSet([action(code.goStandby)], groupStatus())).toEqual({ ok: true, action: 'standby' });
    expect(planFailoverSet([action(code.goOffline)], groupStatus())).toEqual({ ok: true, action: 'offline' });
    expect(planFailoverSet([action(code.goOnline)], groupStatus({ state: 'offline' }))).toEqual({ ok: true, action: 'online' });
    // A member holding back after go standby takes part again with go online.
    expect(planFailoverSet([action(code.goOnline)], groupStatus({ state: 'standby', holding: true }))).toEqual({ ok: true, action: 'online' });
    // idle is accepted and does nothing.
    expect(planFailoverSet([action(code.idle)], null)).toEqual({ ok: true, action: null });
  });

  it('a lone appliance refuses every action with inconsistentValue and says so', () => {
    const r = planFailoverSet([action(code.goStandby)], null);
    expect(r).toEqual({
      ok: false,
      errorStatus: ErrorStatus.inconsistentValue,
      errorIndex: 1,
      message: expect.stringContaining('not a member of a failover group'),
    });
    expect(r.ok === false && r.message).toMatch(/^fulcrumFoAction go standby: /);
  });

  it('refuses go standby on an active when no live standby peer that can serve would take over', () => {
    for (const peers of [[], [peer({ links: { udp: 'silent', serial: 'silent' } })], [peer({ canServe: false })], [peer({ state: 'offline' })]]) {
      const r = planFailoverSet([action(code.goStandby)], groupStatus({ peers }));
      expect(r, JSON.stringify(peers)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentValue, errorIndex: 1 });
      expect(r.ok === false && r.message).toContain('no live standby peer');
    }
    // The serial cable alone is a live path.
    expect(planFailoverSet([action(code.goStandby)], groupStatus({ peers: [peer({ links: { udp: 'silent', serial: 'up' } })] })).ok).toBe(true);
  });

  it('refuses an action that would change nothing', () => {
    const refused = (value: number, status: Parameters<typeof groupStatus>[0]) => {
      const r = planFailoverSet([action(value)], groupStatus(status));
      expect(r.ok).toBe(false);
      return r.ok === false ? r.message : '';
    };
    expect(refused(code.goOffline, { state: 'offline' })).toContain('already offline');
    expect(refused(code.goOnline, { state: 'active' })).toContain('already online (active)');
    expect(refused(code.goOnline, { state: 'standby' })).toContain('already online (standby)');
    expect(refused(code.goStandby, { state: 'standby', holding: true })).toContain('already standby');
  });

  it('checks names, types and values first (RFC 3416 order), naming the varbind; one action a request', () => {
    const status = groupStatus();
    expect(planFailoverSet([action(code.goOffline), action('x', SmiType.OctetString, [...Mib.fulcrumFoGroupName, 0])], status)).toMatchObject({
      errorStatus: ErrorStatus.notWritable,
      errorIndex: 2,
    });
    expect(planFailoverSet([action(code.goOffline, SmiType.Integer, [...Mib.fulcrumFoAction, 1])], status)).toMatchObject({
      errorStatus: ErrorStatus.noCreation,
    });
    expect(planFailoverSet([action(code.goOffline, SmiType.Gauge32)], status)).toMatchObject({ errorStatus: ErrorStatus.wrongType, errorIndex: 1 });
    expect(planFailoverSet([action(0)], status)).toMatchObject({ errorStatus: ErrorStatus.wrongValue });
    expect(planFailoverSet([action(5)], status)).toMatchObject({ errorStatus: ErrorStatus.wrongValue });
    expect(planFailoverSet([action(code.goOffline), action(code.goStandby)], status)).toMatchObject({
      errorStatus: ErrorStatus.inconsistentValue,
      errorIndex: 2,
    });
    // A malformed request never reaches the state check: a lone appliance says wrongType too.
    expect(planFailoverSet([action('2', SmiType.OctetString)], null)).toMatchObject({ errorStatus: ErrorStatus.wrongType, message: '' });
  });

  it('applies the action through the member', () => {
    const calls: string[] = [];
    const member = { goStandby: () => void calls.push('standby'), goOffline: () => void calls.push('offline'), goOnline: () => void calls.push('online') };
    for (const a of ['standby', 'offline', 'online'] as const) applyFailoverAction(member, a);
    expect(calls).toEqual(['standby', 'offline', 'online']);
  });
});
