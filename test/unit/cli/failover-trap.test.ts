import { describe, expect, it } from 'vitest';
import { failoverTrapEvent } from '../../../src/cli/failover-trap.js';
import * as Mib from '../../../src/protocol/mib/fulcrum-mib.js';
import { formatOid, type Oid } from '../../../src/protocol/mib/oid.js';

const trap = formatOid(Mib.fulcrumFailoverStateChange);
const vb = (o: Oid, value: string | number) => ({ oid: `${formatOid(o)}.0`, value: String(value) });
const full = [
  vb(Mib.fulcrumFoGroupName, 'pair'),
  vb(Mib.fulcrumFoUnit, 2),
  vb(Mib.fulcrumFoState, Mib.FoStateCode.active),
  vb(Mib.fulcrumFoLastReason, Mib.FoReasonCode['master-down']),
  vb(Mib.fulcrumFoLastDetail, 'no heartbeat from an active member for 612 ms on udp'),
];

describe('failoverTrapEvent', () => {
  it('turns fulcrumFailoverStateChange into a failover event: group, unit, state now, reason, sentence', () => {
    expect(failoverTrapEvent(trap, full)).toEqual({
      group: 'pair',
      unit: 2,
      to: 'active',
      reason: 'master-down',
      detail: 'no heartbeat from an active member for 612 ms on udp',
    });
    const offline = full.map((v, i) =>
      i === 2 ? vb(Mib.fulcrumFoState, Mib.FoStateCode.offline) : i === 3 ? vb(Mib.fulcrumFoLastReason, Mib.FoReasonCode['operator-offline']) : v,
    );
    expect(failoverTrapEvent(trap, offline)).toMatchObject({ to: 'offline', reason: 'operator-offline' });
  });

  it('is null for other notifications and for one missing a varbind or carrying an unknown code', () => {
    expect(failoverTrapEvent(formatOid(Mib.fulcrumConfigCommitted), full)).toBeNull();
    expect(failoverTrapEvent(trap, full.slice(1))).toBeNull();
    expect(
      failoverTrapEvent(
        trap,
        full.map((v, i) => (i === 2 ? vb(Mib.fulcrumFoState, Mib.FoStateCode.none) : v)),
      ),
    ).toBeNull();
    expect(
      failoverTrapEvent(
        trap,
        full.map((v, i) => (i === 3 ? vb(Mib.fulcrumFoLastReason, 99) : v)),
      ),
    ).toBeNull();
    expect(
      failoverTrapEvent(
        trap,
        full.map((v, i) => (i === 1 ? vb(Mib.fulcrumFoUnit, 0) : v)),
      ),
    ).toBeNull();
  });
});
