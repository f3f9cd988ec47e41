/**
 * A failover pair of simulators over SNMP (FULCRUM-MIB fulcrumFailover): Debian's snmpwalk shows
 * the roles on both members, snmpset of "go standby" on the active moves the active role, every
 * state change arrives as fulcrumFailoverStateChange at a receiver, `appliance info` over SNMP
 * shows the group, and the SNMP driver's groupAction steers a member and reports refusals.
 * Behaviour only: waits have generous deadlines and nothing about time is asserted.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverPair, type Member, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { DriverError } from '../../drivers/driver.js';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import * as Mib from '../../src/protocol/mib/fulcrum-mib.js';
import { fulcrumAsync } from '../support/cli.js';
import { MIB_ARGS, has, parseWalk, run } from '../support/debian-snmp.js';
import { startFailoverTrapReceiver, type FailoverTrap, type FailoverTrapReceiver } from '../support/failover-traps.js';

const isState = (to: string, reason?: string) => (e: MemberEvent) => e.type === 'failover' && e.to === to && (reason === undefined || e.reason === reason);
const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;
const READ = ['-v2c', '-c', 'public', ...MIB_ARGS, '-OtU'];
const WRITE = ['-v2c', '-c', 'private', ...MIB_ARGS];
const at = (m: Member) => m.ready.snmp!;

let pair: FailoverPair | null = null;
let receiver: FailoverTrapReceiver | null = null;
const waitForTrap = (match: (t: FailoverTrap) => boolean) => receiver!.waitFor(match);

async function walk(m: Member): Promise<Map<string, { type: string; value: string }>> {
  const r = await run('snmpwalk', [...READ, at(m), 'fulcrumFailover']);
  expect(r.code, r.stderr).toBe(0);
  return parseWalk(r.stdout);
}

describe.skipIf(!has('snmpwalk') || !has('snmpset'))('a failover pair over SNMP', () => {
  beforeAll(async () => {
    receiver = await startFailoverTrapReceiver();
    pair = await FailoverPair.start({
      serialCable: false,
      extraArgs: () => ['--snmp', '0', '--community', 'public', '--write-community', 'private', '--trap-to', receiver!.address],
    });
    const [primary] = pair.members;
    await primary.waitFor(isState('active'));
    await primary.waitFor(listening);
  });

  afterAll(async () => {
    await pair?.stop();
    await receiver?.close();
  });

  it('snmpwalk of fulcrumFailover shows the group, the roles and each member’s peer; appliance info over SNMP shows the group', async () => {
    const [primary, secondary] = pair!.members;
    const one = await walk(primary);
    const two = await walk(secondary);
    expect(one.get('fulcrumFoGroupName.0')?.value).toBe('pair');
    expect(one.get('fulcrumFoUnit.0')?.value).toBe('1');
    expect(one.get('fulcrumFoState.0')?.value).toBe('active(2)');
    expect(one.get('fulcrumFoPriority.0')?.value).toBe('200');
    expect(one.get('fulcrumFoFailovers.0')?.value).toBe('1');
    expect(one.get('fulcrumFoAction.0')?.value).toBe('idle(1)');
    expect(one.get('fulcrumFoPeerState.2')?.value).toBe('standby(3)');
    expect(one.get('fulcrumFoPeerPriority.2')?.value).toBe('100');
    expect(two.get('fulcrumFoUnit.0')?.value).toBe('2');
    expect(two.get('fulcrumFoState.0')?.value).toBe('standby(3)');
    expect(two.get('fulcrumFoPeerState.1')?.value).toBe('active(2)');
    expect(two.get('fulcrumFoPeerSameConfig.1')?.value).toBe('true(1)');

    const info = await fulcrumAsync(['appliance', 'info', '--json', '--to', `snmp://${at(primary)}`, '--community', 'public']);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { group?: unknown }).group).toEqual({ name: 'pair', unit: 1, state: 'active' });
    // The primary's own takeover was a notification too.
    await waitForTrap((t) => t.unit === 1 && t.state === Mib.FoStateCode.active);
  });

  it('snmpset "go standby" on the active moves the active role; each change is a notification; refusals say why', async () => {
    const [primary, secondary] = pair!.members;
    const mark = [primary.events.length, secondary.events.length] as const;
    // By the enumeration's label, as the user guide shows it.
    const set = await run('snmpset', [...WRITE, at(primary), 'fulcrumFoAction.0', 'i', 'goStandby']);
    expect(set.code, set.stderr).toBe(0);
    await primary.waitFor(isState('standby', 'operator-standby'), 15_000, mark[0]);
    await secondary.waitFor(isState('active'), 15_000, mark[1]);
    await secondary.waitFor(listening, 15_000, mark[1]);

    const one = await walk(primary);
    expect(one.get('fulcrumFoState.0')?.value).toBe('standby(3)');
    expect(one.get('fulcrumFoLastReason.0')?.value).toBe('operatorStandby(7)');
    expect((await walk(secondary)).get('fulcrumFoState.0')?.value).toBe('active(2)');
    await waitForTrap((t) => t.unit === 1 && t.state === Mib.FoStateCode.standby && t.reason === Mib.FoReasonCode['operator-standby']);
    await waitForTrap((t) => t.unit === 2 && t.state === Mib.FoStateCode.active);

    // Already standby and holding back: refused, nothing changes, and the reason can be read.
    const again = await run('snmpset', [...WRITE, at(primary), 'fulcrumFoAction.0', 'i', String(Mib.FoActionCode.goStandby)]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/inconsistentValue/);
    const why = await run('snmpget', [...READ, at(primary), 'fulcrumFoActionMessage.0', 'fulcrumFoState.0']);
    expect(parseWalk(why.stdout).get('fulcrumFoActionMessage.0')?.value).toContain('already standby');
    expect(parseWalk(why.stdout).get('fulcrumFoState.0')?.value).toBe('standby(3)');
    // A read-only community may not write.
    const readOnly = await run('snmpset', ['-v2c', '-c', 'public', ...MIB_ARGS, at(primary), 'fulcrumFoAction.0', 'i', '4']);
    expect(readOnly.code).not.toBe(0);
  });

  it('the SNMP driver: groupAction("online") lets the primary preempt back; a refused action is a DriverError with the reason', async () => {
    const [primary, secondary] = pair!.members;
    const one = SnmpDriver.connect(`snmp://${at(primary)}`, { version: '2c', community: 'private' });
    const two = SnmpDriver.connect(`snmp://${at(secondary)}`, { version: '2c', community: 'private' });
    try {
      const mark = primary.events.length;
      // Back in the election, priority 200 outranks the active's 100 with preemption on (no delay):
      // the primary takes over again at once, and the answer already says so.
      expect(await one.groupAction('online')).toEqual({ name: 'pair', unit: 1, state: 'active' });
      await primary.waitFor(isState('active', 'preempt'), 15_000, mark);
      const refused = await two.groupAction('online').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DriverError);
      expect(refused).toMatchObject({ code: 'refused', remote: 'failoverState' });
      expect((refused as Error).message).toMatch(/^go online: .*already online/);
      expect((await one.info()).group).toEqual({ name: 'pair', unit: 1, state: 'active' });
      await waitForTrap((t) => t.unit === 1 && t.state === Mib.FoStateCode.active && t.reason === Mib.FoReasonCode.preempt);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
