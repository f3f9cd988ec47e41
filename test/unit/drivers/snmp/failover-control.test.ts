import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { GROUP_OIDS, groupOf, writeFailoverAction } from '../../../../drivers/snmp/failover-control.js';
import { SetError, type SnmpSession, type Varbind } from '../../../../drivers/snmp/session.js';
import * as Mib from '../../../../src/protocol/mib/fulcrum-mib.js';
import { formatOid, type Oid } from '../../../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../../../src/protocol/mib/smi.js';

const at = (o: Oid) => `${formatOid(o)}.0`;
const vb = (o: Oid, value: Varbind['value'], type: number = SmiType.Integer): Varbind => ({ oid: at(o), value, type });
const text = (s: string) => new TextEncoder().encode(s);

/** A session over a fixed set of scalars; a SET is refused with `refuse` or changes fulcrumFoState to `after`. */
function session(values: Map<string, Varbind>, refuse: number | null, after?: number): SnmpSession & { sets: Varbind[][] } {
  const sets: Varbind[][] = [];
  return {
    sets,
    get: async (oids: string[]) => oids.map((oid) => values.get(oid) ?? { oid, value: null, type: 128 }),
    set: async (vbs: readonly Varbind[]) => {
      sets.push([...vbs]);
      if (refuse !== null) throw new SetError(refuse, 0, `refused: ${vbs[0]!.oid}`);
      if (after !== undefined) values.set(at(Mib.fulcrumFoState), vb(Mib.fulcrumFoState, after));
    },
  } as unknown as SnmpSession & { sets: Varbind[][] };
}

const member = (state: number, message = '') =>
  new Map(
    [
      vb(Mib.fulcrumFoGroupName, text('pair'), SmiType.OctetString),
      vb(Mib.fulcrumFoUnit, 1, SmiType.Gauge32),
      vb(Mib.fulcrumFoState, state),
      vb(Mib.fulcrumFoActionMessage, text(message), SmiType.OctetString),
    ].map((v) => [v.oid, v]),
  );

describe('the SNMP failover group reader and action', () => {
  it('reads name, unit and state; a lone appliance (none) or an agent without the objects has no group', () => {
    const get = (m: Map<string, Varbind>) => GROUP_OIDS.map((oid) => m.get(oid));
    expect(groupOf(get(member(Mib.FoStateCode.standby)))).toEqual({ name: 'pair', unit: 1, state: 'standby' });
    expect(groupOf(get(member(Mib.FoStateCode.none)))).toBeUndefined();
    expect(groupOf([undefined, undefined, undefined])).toBeUndefined();
    expect(groupOf(GROUP_OIDS.map((oid) => ({ oid, value: null, type: 128 })))).toBeUndefined();
  });

  it('writes fulcrumFoAction with the action code and answers with the group after it', async () => {
    const s = session(member(Mib.FoStateCode.active), null, Mib.FoStateCode.standby);
    expect(await writeFailoverAction(s, 'standby')).toEqual({ name: 'pair', unit: 1, state: 'standby' });
    expect(s.sets).toEqual([[{ oid: at(Mib.fulcrumFoAction), type: SmiType.Integer, value: Mib.FoActionCode.goStandby }]]);
  });

  it("a refusal is a DriverError with the appliance's reason: notInGroup for a lone appliance, failoverState otherwise", async () => {
    const lone = session(
      member(Mib.FoStateCode.none, 'fulcrumFoAction go offline: this appliance is not a member of a failover group'),
      ErrorStatus.inconsistentValue,
    );
    const err = await writeFailoverAction(lone, 'offline').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ code: 'refused', remote: 'notInGroup' });
    expect((err as Error).message).toBe('go offline: fulcrumFoAction go offline: this appliance is not a member of a failover group');
    const busy = session(member(Mib.FoStateCode.offline, 'fulcrumFoAction go offline: already offline'), ErrorStatus.inconsistentValue);
    expect(await writeFailoverAction(busy, 'offline').catch((e: unknown) => e)).toMatchObject({
      remote: 'failoverState',
      message: expect.stringContaining('already offline'),
    });
    // No reason given: the error status names it.
    const bare = session(member(Mib.FoStateCode.active), ErrorStatus.noAccess);
    expect(await writeFailoverAction(bare, 'online').catch((e: unknown) => e)).toMatchObject({ message: 'go online: noAccess' });
    await expect(writeFailoverAction(bare, 'sideways' as never)).rejects.toThrow(/"sideways" is not standby, offline or online/);
  });
});
