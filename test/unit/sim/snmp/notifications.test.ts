import { describe, expect, it } from 'vitest';
import * as Mib from '../../../../src/protocol/mib/fulcrum-mib.js';
import { formatOid, type Oid } from '../../../../src/protocol/mib/oid.js';
import { SmiType } from '../../../../src/protocol/mib/smi.js';
import { loadRules } from '../../../../src/rules/index.js';
import { notificationFor } from '../../../../sim/snmp/notifications.js';

const running = loadRules(
  'services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends:\n      - { address: 10.0.0.3:80 }\n      - { address: 10.0.0.2:80 }\n  - name: api\n    listen: 10.0.0.1:81\n    backends:\n      - { address: 10.0.0.9:80 }\n',
  'n.yaml',
);
const name = (o: Oid, ...index: number[]) => formatOid([...o, ...index]);
const id = 'ef'.repeat(32);

describe('notifications from appliance events', () => {
  it('fulcrumBackendStateChange names the row of the running config (services by name, backends by address)', () => {
    const n = notificationFor({ type: 'backend-state', service: 'web', address: '10.0.0.3:80', up: false, detail: 'tcp connect: refused', at: 0 }, running, 0)!;
    expect(n.trapOid).toBe(formatOid(Mib.fulcrumBackendStateChange));
    expect(n.varbinds).toEqual([
      { oid: name(Mib.fulcrumServiceName, 2), type: SmiType.OctetString, value: 'web' },
      { oid: name(Mib.fulcrumBackendAddress, 2, 2), type: SmiType.OctetString, value: '10.0.0.3:80' },
      { oid: name(Mib.fulcrumBackendState, 2, 2), type: SmiType.Integer, value: Mib.BackendStateCode.down },
      { oid: name(Mib.fulcrumNotifyDetail, 0), type: SmiType.OctetString, value: 'tcp connect: refused' },
    ]);
    // A probe of a backend that is no longer configured names no row: nothing is sent.
    expect(notificationFor({ type: 'backend-state', service: 'web', address: '10.0.0.7:80', up: true, detail: '', at: 0 }, running, 0)).toBeNull();
  });

  it('commit, confirm and rollback carry the config id (32 bytes), the confirm time left and the reason', () => {
    const commit = notificationFor({ type: 'commit', configId: id, pendingConfirm: true, at: 0 }, running, 59_500)!;
    expect(commit.trapOid).toBe(formatOid(Mib.fulcrumConfigCommitted));
    expect(commit.varbinds[0]).toEqual({ oid: name(Mib.fulcrumConfigId, 0), type: SmiType.OctetString, value: Buffer.alloc(32, 0xef) });
    expect(commit.varbinds[1]).toEqual({ oid: name(Mib.fulcrumPendingConfirm, 0), type: SmiType.Gauge32, value: 60 });
    expect(notificationFor({ type: 'commit', configId: id, pendingConfirm: false, at: 0 }, running, 0)!.varbinds[1]!.value).toBe(0);
    expect(notificationFor({ type: 'confirm', configId: id, at: 0 }, running, 0)!.trapOid).toBe(formatOid(Mib.fulcrumConfigConfirmed));
    const rollback = notificationFor({ type: 'rollback', configId: id, reason: 'confirm-timeout', at: 0 }, running, 0)!;
    expect(rollback.trapOid).toBe(formatOid(Mib.fulcrumConfigRolledBack));
    expect(rollback.varbinds[1]).toEqual({
      oid: name(Mib.fulcrumNotifyRollbackReason, 0),
      type: SmiType.Integer,
      value: Mib.RollbackReasonCode['confirm-timeout'],
    });
    expect(notificationFor({ type: 'problem', detail: 'x', at: 0 }, running, 0)).toBeNull();
  });

  it('fulcrumFailoverStateChange carries the group, the unit, the state now and the reason, for every transition', () => {
    const n = notificationFor(
      {
        type: 'failover',
        group: 'pair',
        unit: 2,
        from: 'standby',
        to: 'active',
        reason: 'peer-resigned',
        detail: 'the active unit 1 stood down',
        peer: 1,
        lostConnections: 0,
        at: 0,
      },
      running,
      0,
    )!;
    expect(n.trapOid).toBe(formatOid(Mib.fulcrumFailoverStateChange));
    expect(n.varbinds).toEqual([
      { oid: name(Mib.fulcrumFoGroupName, 0), type: SmiType.OctetString, value: 'pair' },
      { oid: name(Mib.fulcrumFoUnit, 0), type: SmiType.Gauge32, value: 2 },
      { oid: name(Mib.fulcrumFoState, 0), type: SmiType.Integer, value: Mib.FoStateCode.active },
      { oid: name(Mib.fulcrumFoLastReason, 0), type: SmiType.Integer, value: Mib.FoReasonCode['peer-resigned'] },
      { oid: name(Mib.fulcrumFoLastDetail, 0), type: SmiType.OctetString, value: 'the active unit 1 stood down' },
    ]);
    const offline = notificationFor(
      {
        type: 'failover',
        group: 'pair',
        unit: 1,
        from: 'active',
        to: 'offline',
        reason: 'operator-offline',
        detail: 'x'.repeat(300),
        peer: null,
        lostConnections: 0,
        at: 0,
      },
      running,
      0,
    )!;
    expect(offline.varbinds[2]!.value).toBe(Mib.FoStateCode.offline);
    expect(offline.varbinds[3]!.value).toBe(Mib.FoReasonCode['operator-offline']);
    expect(String(offline.varbinds[4]!.value)).toHaveLength(255);
    // The floating services opening is not a state change: no notification.
    expect(notificationFor({ type: 'failover-services', listening: true, detail: 'listening on 1 service', attempts: 1, at: 0 }, running, 0)).toBeNull();
  });
});
