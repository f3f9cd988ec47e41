import { afterEach, describe, expect, it } from 'vitest';
import { FailoverPair, outage, probe, request, stickyAddresses, type Member, type MemberEvent } from '../../sim/pair/failover-pair.js';
import * as Mib from '../../src/protocol/mib/fulcrum-mib.js';
import { fulcrumAsync } from '../support/cli.js';
import { startFailoverTrapReceiver, type FailoverTrap, type FailoverTrapReceiver } from '../support/failover-traps.js';

// Two `fulcrum sim start` processes in one failover group on 127.0.0.1, sharing one VIP port,
// with real backends and real clients. Behaviour only: how long things take is the bench's
// business (bench/failover.ts); waits here have generous deadlines and assert nothing about time.

let pair: FailoverPair | null = null;
let receiver: FailoverTrapReceiver | null = null;
afterEach(async () => {
  await pair?.stop();
  pair = null;
  await receiver?.close();
  receiver = null;
});

const isState = (to: string, reason?: string) => (e: MemberEvent) => e.type === 'failover' && e.to === to && (reason === undefined || e.reason === reason);
const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function info(m: Member): Promise<{ group?: { name: string; unit: number; state: string } }> {
  const r = await fulcrumAsync(['appliance', 'info', '--json', '--to', `serial:${m.ready.serial}`]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { group?: { name: string; unit: number; state: string } };
}

/** Starts a pair (sending its notifications to `trapsTo`, if given) and waits until unit 1 (the higher priority) is active and listening. */
async function startPair(trapsTo?: FailoverTrapReceiver): Promise<{ p: FailoverPair; primary: Member; secondary: Member }> {
  pair = await FailoverPair.start(trapsTo ? { extraArgs: () => ['--snmp', '0', '--community', 'public', '--trap-to', trapsTo.address] } : {});
  const [primary, secondary] = pair.members;
  expect(primary.ready.group).toEqual({ name: 'pair', unit: 1, state: 'standby' });
  await primary.waitFor(isState('active'));
  await primary.waitFor(listening);
  return { p: pair, primary, secondary };
}

describe('a failover pair of simulators', () => {
  it('SIGKILL the active under traffic: the standby takes over and serves, and sticky clients keep their backend', async () => {
    const { p, primary, secondary } = await startPair();
    expect(secondary.state).toBe('standby');
    expect((await info(primary)).group).toEqual({ name: 'pair', unit: 1, state: 'active' });
    expect((await info(secondary)).group).toEqual({ name: 'pair', unit: 2, state: 'standby' });

    const sticky = stickyAddresses(200);
    const before = new Map<string, string>();
    for (const address of sticky) before.set(address, await request(p.vip, address));
    // Round robin spread them: keeping each on its backend is the mirror's doing, not luck.
    expect(new Set(before.values()).size).toBe(3);
    // A few heartbeat intervals for the mirror batches to reach the standby.
    await pause(1_000);

    const traffic = probe(p.vip, 10);
    await pause(500);
    const killedAt = performance.now();
    await primary.kill('SIGKILL');
    const takeover = await secondary.waitFor(isState('active'));
    expect(takeover).toMatchObject({ from: 'standby', reason: 'master-down', group: 'pair', unit: 2 });
    await secondary.waitFor(listening);
    await pause(500);
    const attempts = await traffic.stop();

    const served = attempts.filter((a) => a.ok && a.startedAt > killedAt).length;
    expect(served).toBeGreaterThan(0);
    expect(outage(attempts, killedAt)).not.toBeNull();
    expect((await info(secondary)).group?.state).toBe('active');

    // In the reverse order: a round robin starting afresh on the new active would move most of them.
    let kept = 0;
    for (const address of [...sticky].reverse()) if ((await request(p.vip, address)) === before.get(address)) kept++;
    expect(kept / sticky.length).toBeGreaterThanOrEqual(0.99);
  });

  it('split brain: the cable alone holds one active; cut both and the standby takes over; paths back, one active by priority; a notification for each step', async () => {
    receiver = await startFailoverTrapReceiver();
    const { p, primary, secondary } = await startPair(receiver);
    const unit2 = (state: keyof typeof Mib.FoStateCode, reason: keyof typeof Mib.FoReasonCode) => (t: FailoverTrap) =>
      t.unit === 2 && t.state === Mib.FoStateCode[state] && t.reason === Mib.FoReasonCode[reason];
    await receiver.waitFor((t) => t.unit === 1 && t.state === Mib.FoStateCode.active);
    p.cutUdp(true);
    // Many master-down intervals with the network path cut: the cable keeps the standby back.
    await pause(2_000);
    expect(secondary.events.filter(isState('active'))).toEqual([]);
    expect((await info(secondary)).group?.state).toBe('standby');
    expect(primary.state).toBe('active');
    expect(receiver.traps.filter((t) => t.unit === 2 && t.state === Mib.FoStateCode.active)).toEqual([]);

    const mark = secondary.events.length;
    const trapMark = receiver.traps.length;
    p.cutSerial(true);
    const takeover = await secondary.waitFor(isState('active', 'master-down'), 15_000, mark);
    expect(takeover.detail).toMatch(/udp or serial/);
    // Both active on one host: the VIP is still bound by the primary, so the takeover retries, with events.
    const conflict = await secondary.waitFor((e) => e.type === 'failover-conflict', 15_000, mark);
    expect(conflict.detail).toMatch(/EADDRINUSE/);
    expect(primary.state).toBe('active');
    expect((await request(p.vip)).length).toBeGreaterThan(0);
    await receiver.waitFor(unit2('active', 'master-down'), trapMark);

    const back = secondary.events.length;
    const trapBack = receiver.traps.length;
    p.cutUdp(false);
    p.cutSerial(false);
    await secondary.waitFor(isState('standby', 'peer-outranks'), 15_000, back);
    expect(primary.events.filter(isState('standby'))).toEqual([]);
    expect((await info(primary)).group?.state).toBe('active');
    expect((await info(secondary)).group?.state).toBe('standby');
    expect((await request(p.vip)).length).toBeGreaterThan(0);
    await receiver.waitFor(unit2('standby', 'peer-outranks'), trapBack);
    // The primary never left active, so it had nothing to notify after its first election.
    expect(receiver.traps.filter((t) => t.unit === 1).map((t) => t.state)).toEqual([Mib.FoStateCode.active]);
  });
});
