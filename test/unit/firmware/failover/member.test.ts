import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../support/fake-clock.js';
import { DNS, startMember, transitions, WEB, Wire, type TestMember } from './member-harness.js';

let members: TestMember[] = [];
afterEach(() => {
  for (const m of members) m.member.stop();
  members = [];
});

async function pair(options: { serial?: boolean } = {}) {
  const clock = new FakeClock();
  const udp = new Wire('udp', clock);
  const serial = new Wire('serial', clock);
  const wires = options.serial === false ? [udp] : [udp, serial];
  const a = await startMember(clock, wires, 1, { priority: 200 });
  const b = await startMember(clock, wires, 2, { priority: 100 });
  members.push(a, b);
  await clock.advance(2_000);
  return { clock, udp, serial, a, b };
}

/** A client connection from `address` through the active's core, closed again; returns its backend. */
function connect(m: TestMember, address: string, port = 40_000): number {
  const flow = m.core.open(WEB, address, port, 0);
  const backend = m.core.targetIndex(flow);
  m.core.connected(flow, 1);
  m.core.close(flow);
  return backend;
}

describe('failover member', () => {
  it('elects the higher priority, which alone opens the services', async () => {
    const { a, b } = await pair();
    expect(a.member.identity).toEqual({ name: 'pair-a', unit: 1, state: 'active' });
    expect(b.member.identity.state).toBe('standby');
    expect(a.services.listening).toBe(true);
    expect(b.services.listening).toBe(false);
    const peer = b.member.status().peers[0]!;
    expect(peer).toMatchObject({ unit: 1, state: 'active', priority: 200, links: { udp: 'up', serial: 'up' }, sameConfig: true });
  });

  it('when the active goes silent on both paths, the standby takes over and says how many connections died with it', async () => {
    const { clock, udp, serial, a, b } = await pair();
    // Two established connections on the active.
    a.core.open(WEB, '10.0.0.1', 1000, 0);
    a.core.open(WEB, '10.0.0.2', 1000, 0);
    await clock.advance(300);
    udp.setCut(1, true);
    serial.setCut(1, true);
    await clock.advance(1_000);
    expect(b.member.identity.state).toBe('active');
    expect(b.services.listening).toBe(true);
    const t = transitions(b).at(-1)!;
    expect(t).toMatchObject({ type: 'failover', from: 'standby', to: 'active', reason: 'master-down', lostConnections: 2 });
    expect(b.member.status().counters).toMatchObject({ takeovers: 1, connectionsLost: 2 });
  });

  it('with only the UDP path cut, the serial link keeps one active; cut both and paths back, it settles by priority', async () => {
    const { clock, udp, serial, a, b } = await pair();
    udp.setCut(1, true);
    await clock.advance(3_000);
    expect([a.member.identity.state, b.member.identity.state]).toEqual(['active', 'standby']);
    expect(b.member.status().peers[0]!.links).toEqual({ udp: 'silent', serial: 'up' });
    serial.setCut(1, true);
    await clock.advance(1_000);
    expect([a.member.identity.state, b.member.identity.state]).toEqual(['active', 'active']);
    udp.setCut(1, false);
    serial.setCut(1, false);
    await clock.advance(500);
    expect([a.member.identity.state, b.member.identity.state]).toEqual(['active', 'standby']);
    expect(transitions(b).at(-1)).toMatchObject({ to: 'standby', reason: 'peer-outranks', peer: 1 });
    expect(b.services.listening).toBe(false);
  });

  it('mirrors persistence to the standby: after a failover a sticky client keeps its backend', async () => {
    const { clock, udp, serial, a, b } = await pair();
    const clients = Array.from({ length: 300 }, (_, i) => `10.1.${i >> 8}.${i & 0xff}`);
    const before = new Map(clients.map((c) => [c, connect(a, c)]));
    // Round robin over three backends: the clients are spread, so keeping them is not luck.
    expect(new Set(before.values()).size).toBe(3);
    await clock.advance(500);
    udp.setCut(1, true);
    serial.setCut(1, true);
    await clock.advance(1_000);
    expect(b.member.identity.state).toBe('active');
    // In the reverse order: a round robin starting afresh would give most of them another backend.
    const kept = [...clients].reverse().filter((c) => connect(b, c, 50_000) === before.get(c)).length;
    expect(kept).toBe(clients.length);
    expect(b.member.status().counters.mirrorApplied).toBeGreaterThanOrEqual(clients.length);
    expect(a.member.status().counters.mirrorSent).toBeGreaterThanOrEqual(clients.length);
  });

  it('mirrors UDP sessions: a session the old active had lands on the same backend after the takeover', async () => {
    const { clock, udp, serial, a, b } = await pair();
    const sessions = Array.from({ length: 30 }, (_, i) => ({ address: '10.2.0.1', port: 5000 + i }));
    const before = sessions.map((s) => {
      const flow = a.core.open(DNS, s.address, s.port, 0);
      return a.core.targetIndex(flow);
    });
    expect(new Set(before).size).toBe(3);
    await clock.advance(500);
    udp.setCut(1, true);
    serial.setCut(1, true);
    await clock.advance(1_000);
    const after = [...sessions].reverse().map((s) => b.core.targetIndex(b.core.open(DNS, s.address, s.port, 2_000)));
    expect(after.reverse()).toEqual(before);
  });

  it('a standby that joins later gets a full copy of what the active already knew', async () => {
    const clock = new FakeClock();
    const udp = new Wire('udp', clock);
    const a = await startMember(clock, [udp], 1, { priority: 200 });
    members.push(a);
    await clock.advance(1_000);
    const clients = Array.from({ length: 100 }, (_, i) => `10.3.0.${i}`);
    const before = new Map(clients.map((c) => [c, connect(a, c)]));
    await clock.advance(500);
    const b = await startMember(clock, [udp], 2, { priority: 100 });
    members.push(b);
    await clock.advance(1_000);
    expect(b.member.identity.state).toBe('standby');
    udp.setCut(1, true);
    await clock.advance(1_000);
    expect([...clients].reverse().filter((c) => connect(b, c, 50_000) === before.get(c)).length).toBe(clients.length);
  });

  it('retries the services while the address is still held, with an event per failure, never giving up or crashing', async () => {
    const clock = new FakeClock();
    const udp = new Wire('udp', clock);
    const a = await startMember(clock, [udp], 1);
    members.push(a);
    a.services.failNext = 3;
    await clock.advance(2_000);
    expect(a.member.identity.state).toBe('active');
    const conflicts = a.events.filter((e) => e.type === 'failover-conflict');
    expect(conflicts.map((e) => (e.type === 'failover-conflict' ? e.attempt : 0))).toEqual([1, 2, 3]);
    expect(conflicts[0]).toMatchObject({ retryInMs: 50, detail: expect.stringMatching(/EADDRINUSE/) });
    expect(a.services.listening).toBe(true);
    expect(a.events.filter((e) => e.type === 'failover-services').at(-1)).toMatchObject({ listening: true, attempts: 4 });
  });

  it('ignores replayed, forged and junk messages, counting and reporting them', async () => {
    const { clock, udp, b } = await pair({ serial: false });
    const recorded = udp.sent.filter((_, i) => i % 2 === 0).slice(0, 5);
    for (const bytes of recorded) udp.inject(2, bytes);
    udp.inject(2, Uint8Array.of(1, 2, 3));
    const forged = Uint8Array.from(udp.sent.at(-1)!);
    forged[forged.length - 1]! ^= 1;
    udp.inject(2, forged);
    await clock.advance(100);
    const rejected = b.member.status().counters.rejected;
    // Its own recorded heartbeats come back as its own unit; unit 1's as replays.
    expect(rejected.replay + rejected.ownUnit).toBe(5);
    expect(rejected.malformed).toBe(1);
    expect(rejected.badMac).toBe(1);
    expect(b.events.filter((e) => e.type === 'problem').length).toBeGreaterThanOrEqual(2);
    expect(b.member.identity.state).toBe('standby');
  });

  it('operator commands: go offline hands over at once, go online returns as standby and preempts back', async () => {
    const { clock, a, b } = await pair();
    a.member.goOffline();
    await clock.advance(100);
    expect(a.member.identity.state).toBe('offline');
    expect(a.services.listening).toBe(false);
    expect(b.member.identity.state).toBe('active');
    expect(transitions(b).at(-1)).toMatchObject({ reason: 'peer-resigned', peer: 1 });
    await clock.advance(2_000);
    expect(a.member.identity.state).toBe('offline');
    a.member.goOnline();
    await clock.advance(300);
    expect([a.member.identity.state, b.member.identity.state]).toEqual(['active', 'standby']);
    expect(transitions(a).at(-1)).toMatchObject({ reason: 'preempt' });
  });

  it('a member that leaves (stop) resigns: the standby takes over after its skew, not the whole master-down', async () => {
    const { clock, a, b } = await pair();
    a.member.stop();
    members = members.filter((m) => m !== a);
    await clock.advance(100);
    expect(b.member.identity.state).toBe('active');
    expect(transitions(b).at(-1)).toMatchObject({ reason: 'peer-resigned' });
  });
});
