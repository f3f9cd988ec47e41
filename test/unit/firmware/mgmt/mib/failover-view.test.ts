import { describe, expect, it } from 'vitest';
import { MibView, SERVED_OBJECTS, servedObjectOf } from '../../../../../firmware/mgmt/mib-view.js';
import { FAILOVER_OBJECTS, failoverVarbinds } from '../../../../../firmware/mgmt/mib/failover-view.js';
import * as Mib from '../../../../../src/protocol/mib/fulcrum-mib.js';
import { compareOids, startsWith, type Oid } from '../../../../../src/protocol/mib/oid.js';
import { SmiType, TruthValue } from '../../../../../src/protocol/mib/smi.js';
import { knownInput } from '../mib-snapshot.js';
import { groupStatus, peer } from './failover-fixture.js';

// The member's clock reads 10,000 ms; the snapshot's sysUpTime is 100 s (10,000 ticks).
const NOW = 10_000;
const TICKS = 10_000;
const byOid = (vbs: { oid: Oid; value: unknown; type: number }[]) => new Map(vbs.map((v) => [v.oid.join('.'), v]));
const scalar = (o: Oid) => [...o, 0].join('.');

describe('fulcrumFailover in the MIB view', () => {
  it('a lone appliance: the ten scalars say "no group" and the peer table is empty', () => {
    const vbs = failoverVarbinds({ status: null, nowMs: NOW, actionMessage: '' }, TICKS);
    expect(vbs).toHaveLength(10);
    const v = byOid(vbs);
    expect(v.get(scalar(Mib.fulcrumFoGroupName))?.value).toBe('');
    expect(v.get(scalar(Mib.fulcrumFoUnit))?.value).toBe(0);
    expect(v.get(scalar(Mib.fulcrumFoState))?.value).toBe(Mib.FoStateCode.none);
    expect(v.get(scalar(Mib.fulcrumFoLastReason))?.value).toBe(Mib.FoReasonCode.none);
    expect(v.get(scalar(Mib.fulcrumFoLastChange))?.value).toBe(0);
    expect(v.get(scalar(Mib.fulcrumFoFailovers))).toMatchObject({ type: SmiType.Counter64, value: 0n });
    expect(v.get(scalar(Mib.fulcrumFoAction))?.value).toBe(Mib.FoActionCode.idle);
  });

  it('a member: state, unit, priority, the last transition as a TimeStamp with its reason and sentence, failovers', () => {
    const v = byOid(failoverVarbinds({ status: groupStatus(), nowMs: NOW, actionMessage: 'refused before' }, TICKS));
    expect(v.get(scalar(Mib.fulcrumFoGroupName))?.value).toBe('pair');
    expect(v.get(scalar(Mib.fulcrumFoUnit))).toMatchObject({ type: SmiType.Gauge32, value: 1 });
    expect(v.get(scalar(Mib.fulcrumFoState))?.value).toBe(Mib.FoStateCode.active);
    expect(v.get(scalar(Mib.fulcrumFoPriority))?.value).toBe(200);
    // 6 s before now: 600 ticks before sysUpTime.
    expect(v.get(scalar(Mib.fulcrumFoLastChange))).toMatchObject({ type: SmiType.TimeTicks, value: TICKS - 600 });
    expect(v.get(scalar(Mib.fulcrumFoLastReason))?.value).toBe(Mib.FoReasonCode['master-down']);
    expect(v.get(scalar(Mib.fulcrumFoLastDetail))?.value).toContain('no heartbeat');
    expect(v.get(scalar(Mib.fulcrumFoFailovers))?.value).toBe(3n);
    expect(v.get(scalar(Mib.fulcrumFoActionMessage))?.value).toBe('refused before');
  });

  it('the peer table: one row per unit, column by column, units in order; last heard as a TimeStamp', () => {
    const status = groupStatus({
      peers: [peer({ unit: 7, state: 'offline', priority: 50, canServe: false, sameConfig: false, lastHeardAt: 9_000 }), peer({ unit: 3 })],
    });
    const vbs = failoverVarbinds({ status, nowMs: NOW, actionMessage: '' }, TICKS);
    const rows = vbs.filter((x) => startsWith(x.oid, Mib.fulcrumFoPeerEntry));
    expect(rows.map((x) => x.oid.slice(Mib.fulcrumFoPeerEntry.length).join('.'))).toEqual([
      '2.3',
      '2.7',
      '3.3',
      '3.7',
      '4.3',
      '4.7',
      '5.3',
      '5.7',
      '6.3',
      '6.7',
    ]);
    const v = byOid(vbs);
    const cell = (o: Oid, unit: number) => v.get([...o, unit].join('.'))?.value;
    expect(cell(Mib.fulcrumFoPeerState, 3)).toBe(Mib.FoStateCode.standby);
    expect(cell(Mib.fulcrumFoPeerState, 7)).toBe(Mib.FoStateCode.offline);
    expect(cell(Mib.fulcrumFoPeerPriority, 7)).toBe(50);
    expect(cell(Mib.fulcrumFoPeerCanServe, 7)).toBe(TruthValue.false);
    expect(cell(Mib.fulcrumFoPeerSameConfig, 3)).toBe(TruthValue.true);
    expect(cell(Mib.fulcrumFoPeerLastHeard, 7)).toBe(TICKS - 100);
    expect(cell(Mib.fulcrumFoPeerLastHeard, 3)).toBe(TICKS - 50);
  });

  it('a TimeStamp of before the agent started is 0, never negative', () => {
    const status = groupStatus({ last: { ...groupStatus().last, at: -500_000 } });
    const v = byOid(failoverVarbinds({ status, nowMs: NOW, actionMessage: '' }, 100));
    expect(v.get(scalar(Mib.fulcrumFoLastChange))?.value).toBe(0);
  });

  it('follows fulcrumRunning in walk order: the whole view stays strictly ascending and every instance is a served object', () => {
    const view = MibView.build({ ...knownInput(), failover: { status: groupStatus({ peers: [peer(), peer({ unit: 5 })] }), nowMs: NOW, actionMessage: '' } });
    const plain = MibView.build(knownInput());
    expect(view.varbinds.length - plain.varbinds.length).toBe(10 + 2 * 5);
    for (let i = 1; i < view.varbinds.length; i++) expect(compareOids(view.varbinds[i - 1]!.oid, view.varbinds[i]!.oid), `at ${i}`).toBeLessThan(0);
    for (const vb of view.varbinds.filter((x) => startsWith(x.oid, Mib.fulcrumFailover))) expect(servedObjectOf(vb.oid), vb.oid.join('.')).not.toBeNull();
    expect(servedObjectOf([...Mib.fulcrumFoPeerUnit, 2])).toBeNull();
    for (let i = 1; i < SERVED_OBJECTS.length; i++) expect(compareOids(SERVED_OBJECTS[i - 1]!, SERVED_OBJECTS[i]!)).toBeLessThan(0);
    expect(FAILOVER_OBJECTS).toHaveLength(10 + 5);
    // GETNEXT from the end of fulcrumRunning lands on the first failover scalar.
    expect(view.varbinds[view.nextIndex([...Mib.fulcrumRunning, 99])]!.oid).toEqual([...Mib.fulcrumFoGroupName, 0]);
  });
});
