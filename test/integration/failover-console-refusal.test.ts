/**
 * The serial console's groupAction keeps the same rule as SNMP's fulcrumFoAction
 * (firmware/failover/action-refusal.ts), through a pair of real `fulcrum sim start` processes:
 * an active member goes standby on the console's word while a live standby can take over, and
 * refuses (failoverState, nothing moves) once that peer is dead, so the group keeps its active.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverPair, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { DriverError } from '../../drivers/driver.js';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';

const isState = (to: string) => (e: MemberEvent) => e.type === 'failover' && e.to === to;
let pair: FailoverPair;

async function overConsole<T>(serial: string, work: (d: SerialDriver) => Promise<T>): Promise<T> {
  const d = await SerialDriver.connect(`serial:${serial}`);
  try {
    return await work(d);
  } finally {
    await d.close();
  }
}

beforeAll(async () => {
  // No cable: the UDP path alone, so the dead peer is silent on every link the survivor has.
  pair = await FailoverPair.start({ serialCable: false });
  await pair.members[0].waitFor(isState('active'));
}, 60_000);
afterAll(async () => {
  await pair?.stop();
});

describe("the console's groupAction refuses what would leave the group without an active member", () => {
  it('goes standby with a live standby peer, then refuses once the peer that took over is dead', async () => {
    const [primary, secondary] = pair.members;
    // Nothing would change: refused with the member's state, as over SNMP.
    const already = await overConsole(primary.ready.serial, (d) => d.groupAction('online')).catch((e: unknown) => e);
    expect(already).toBeInstanceOf(DriverError);
    expect(already).toMatchObject({ code: 'refused', remote: 'failoverState' });
    expect((already as Error).message).toMatch(/^go online: already online \(active\)/);

    // A live standby that can serve: accepted, and the standby takes over.
    const mark = secondary.events.length;
    expect(await overConsole(primary.ready.serial, (d) => d.groupAction('standby'))).toEqual({ name: 'pair', unit: 1, state: 'standby' });
    await secondary.waitFor(isState('active'), 15_000, mark);

    // The new active dies: the primary, holding back for it, takes over once it is silent.
    const back = primary.events.length;
    await secondary.kill('SIGKILL');
    await primary.waitFor(isState('active'), 15_000, back);

    // Now no peer could take over: the console refuses, and the primary stays active.
    const refused = await overConsole(primary.ready.serial, (d) => d.groupAction('standby')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DriverError);
    expect(refused).toMatchObject({ code: 'refused', remote: 'failoverState' });
    expect((refused as Error).message).toMatch(/^go standby: no live standby peer that can serve would take over/);
    const info = await overConsole(primary.ready.serial, (d) => d.info());
    expect(info.group).toEqual({ name: 'pair', unit: 1, state: 'active' });
    expect(
      primary.events
        .slice(back)
        .filter((e) => e.type === 'failover')
        .map((e) => e.to),
    ).toEqual(['active']);
  }, 60_000);
});
