import { describe, expect, it } from 'vitest';
import { Election, type Step } from '../../../../firmware/failover/election.js';
import type { LinkName } from '../../../../firmware/failover/envelope.js';
import { masterDownMs, skewMs } from '../../../../firmware/failover/group-config.js';
import type { Heartbeat } from '../../../../firmware/failover/heartbeat-codec.js';

// The election is pure: time is the number each call passes, so these tests are a fake clock.
const INTERVAL = 100;
const config = (over: Partial<{ unit: number; priority: number; preempt: boolean; preemptDelayMs: number }> = {}) => ({
  unit: 1,
  priority: 100,
  preempt: true,
  preemptDelayMs: 0,
  intervalMs: INTERVAL,
  ...over,
});
const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  priority: 100,
  state: 'active',
  canServe: true,
  intervalMs: INTERVAL,
  tcpFlows: 0,
  configIdPrefix: new Uint8Array(8),
  ...over,
});

/** Feeds a peer's heartbeats every interval from `from` to `to` (exclusive) on `links`, ticking in between; returns the first transition. */
function run(e: Election, from: number, to: number, peer?: { unit: number; beat: Partial<Heartbeat>; links: LinkName[] }): Step['transition'] {
  for (let t = from; t < to; t += 10) {
    const steps: Step[] = [];
    if (peer && (t - from) % INTERVAL === 0) for (const l of peer.links) steps.push(e.receive(peer.unit, hb(peer.beat), l, t));
    steps.push(e.tick(t));
    const changed = steps.find((s) => s.transition);
    if (changed) return changed.transition;
  }
  return null;
}

const stateOf = (e: Election) => ({ state: e.state, holding: e.holding });

describe('failover election (VRRP semantics, fake clock)', () => {
  it('starts standby and takes over after the master-down interval when it hears no active', () => {
    const e = new Election(config({ priority: 200 }), 0, ['udp']);
    expect(e.state).toBe('standby');
    expect(e.last.reason).toBe('startup');
    const down = masterDownMs(200, INTERVAL);
    expect(down).toBe(3 * INTERVAL + skewMs(200, INTERVAL));
    expect(e.nextDeadline()).toBe(down);
    expect(e.tick(down - 1).transition).toBeNull();
    const t = e.tick(down).transition!;
    expect(t).toMatchObject({ from: 'standby', to: 'active', reason: 'master-down' });
    expect(t.detail).toMatch(/no heartbeat from an active member/);
    expect(e.nextDeadline()).toBeNull();
  });

  it('stays standby while an active peer is heard, and takes over once it falls silent', () => {
    const e = new Election(config({ priority: 50 }), 0, ['udp']);
    expect(run(e, 0, 5_000, { unit: 2, beat: { priority: 100 }, links: ['udp'] })).toBeNull();
    expect(e.state).toBe('standby');
    const t = run(e, 5_000, 10_000)!;
    expect(t.reason).toBe('master-down');
    // The last heartbeat was at 4,900: master-down counts from there.
    expect(t.at).toBeGreaterThanOrEqual(4_900 + masterDownMs(50, INTERVAL));
    expect(t.at).toBeLessThan(4_900 + masterDownMs(50, INTERVAL) + 10);
  });

  it('takes over only when both paths are silent: the serial cable alone holds it back', () => {
    const e = new Election(config({ priority: 50 }), 0, ['udp', 'serial']);
    run(e, 0, 1_000, { unit: 2, beat: {}, links: ['udp', 'serial'] });
    // The network fails: heartbeats arrive over the cable only.
    expect(run(e, 1_000, 6_000, { unit: 2, beat: {}, links: ['serial'] })).toBeNull();
    expect(e.state).toBe('standby');
    const peer = e.peers()[0]!;
    expect(peer.heardAt.udp).toBeLessThan(1_000);
    expect(peer.heardAt.serial).toBe(5_900);
    // Then the cable too: now it takes over.
    expect(run(e, 6_000, 8_000)!.reason).toBe('master-down');
  });

  it('preempts a lower-priority active after the preemption delay, not before', () => {
    const e = new Election(config({ priority: 200, preemptDelayMs: 300 }), 0, ['udp']);
    const t = run(e, 0, 2_000, { unit: 2, beat: { priority: 100 }, links: ['udp'] })!;
    expect(t).toMatchObject({ to: 'active', reason: 'preempt', peer: 2 });
    expect(t.at).toBe(300);
    expect(t.detail).toMatch(/priority 200.*outranks the active unit 2 \(priority 100\) and preemption is on/);
  });

  it('with --no-preempt leaves a working lower-priority active in place', () => {
    const e = new Election(config({ priority: 200, preempt: false }), 0, ['udp']);
    expect(run(e, 0, 3_000, { unit: 2, beat: { priority: 100 }, links: ['udp'] })).toBeNull();
    expect(e.state).toBe('standby');
  });

  it('with --no-preempt still replaces an active that cannot serve, if it can', () => {
    const e = new Election(config({ priority: 50, preempt: false }), 0, ['udp']);
    const t = run(e, 0, 3_000, { unit: 2, beat: { priority: 200, canServe: false }, links: ['udp'] })!;
    expect(t).toMatchObject({ to: 'active', reason: 'preempt' });
    expect(t.detail).toMatch(/cannot serve/);
  });

  it('a member that cannot serve does not preempt, and steps down for an active that can', () => {
    const e = new Election(config({ priority: 200 }), 0, ['udp']);
    e.setCanServe(false, 0);
    expect(run(e, 0, 2_000, { unit: 2, beat: { priority: 100 }, links: ['udp'] })).toBeNull();
    // Alone it still takes over: a member that cannot serve is better than none.
    expect(run(e, 2_000, 4_000)!.reason).toBe('master-down');
    const s = e.receive(2, hb({ priority: 100 }), 'udp', 4_000);
    expect(s.transition).toMatchObject({ from: 'active', to: 'standby', reason: 'peer-outranks', peer: 2 });
  });

  it('an active that hears an active which outranks it steps down; one it outranks is told at once', () => {
    const e = new Election(config({ priority: 100 }), 0, ['udp']);
    e.tick(1_000);
    expect(e.state).toBe('active');
    const lower = e.receive(3, hb({ priority: 90 }), 'udp', 1_010);
    expect(lower).toEqual({ transition: null, announce: true });
    expect(e.state).toBe('active');
    const higher = e.receive(2, hb({ priority: 150 }), 'udp', 1_020);
    expect(higher.transition).toMatchObject({ to: 'standby', reason: 'peer-outranks', peer: 2 });
    expect(higher.transition!.detail).toMatch(/unit 2 \(priority 150\) is active too/);
  });

  it('breaks a priority tie by unit number: the lower unit stays active', () => {
    const unit1 = new Election(config({ unit: 1 }), 0, ['udp']);
    const unit2 = new Election(config({ unit: 2 }), 0, ['udp']);
    unit1.tick(1_000);
    unit2.tick(1_000);
    expect(unit2.receive(1, hb(), 'udp', 1_001).transition).toMatchObject({ to: 'standby', reason: 'peer-outranks' });
    expect(unit1.receive(2, hb(), 'udp', 1_001).transition).toBeNull();
    expect(unit1.state).toBe('active');
  });

  it('after a split, the two actives settle on one by priority when a path returns', () => {
    const a = new Election(config({ unit: 1, priority: 200 }), 0, ['udp', 'serial']);
    const b = new Election(config({ unit: 2, priority: 100 }), 0, ['udp', 'serial']);
    a.tick(1_000);
    b.tick(1_000);
    expect([a.state, b.state]).toEqual(['active', 'active']);
    // The cable comes back first: each hears the other over it.
    const toB = b.receive(1, hb({ priority: 200 }), 'serial', 2_000);
    const toA = a.receive(2, hb({ priority: 100 }), 'serial', 2_000);
    expect(toB.transition).toMatchObject({ to: 'standby', reason: 'peer-outranks' });
    expect(toA.transition).toBeNull();
    expect([a.state, b.state]).toEqual(['active', 'standby']);
  });

  it('takes over after the skew only when the active resigns', () => {
    const e = new Election(config({ priority: 100 }), 0, ['udp']);
    run(e, 0, 1_000, { unit: 2, beat: { priority: 200 }, links: ['udp'] });
    e.receive(2, hb({ priority: 200, state: 'offline' }), 'udp', 1_000);
    expect(e.nextDeadline()).toBe(1_000 + skewMs(100, INTERVAL));
    const t = e.tick(1_000 + skewMs(100, INTERVAL)).transition!;
    expect(t).toMatchObject({ to: 'active', reason: 'peer-resigned', peer: 2 });
  });

  it('offline is forced: it takes over nothing until the operator brings it online, then waits master-down', () => {
    const e = new Election(config({ priority: 200 }), 0, ['udp']);
    expect(e.goOffline(0).transition).toMatchObject({ from: 'standby', to: 'offline', reason: 'operator-offline' });
    expect(e.nextDeadline()).toBeNull();
    expect(e.tick(60_000).transition).toBeNull();
    expect(e.receive(2, hb({ priority: 10 }), 'udp', 60_000).transition).toBeNull();
    expect(e.state).toBe('offline');
    expect(e.goOnline(61_000).transition).toMatchObject({ from: 'offline', to: 'standby', reason: 'operator-online' });
    // The peer unit 2 is active and outranked: preemption brings this member back at once.
    expect(e.receive(2, hb({ priority: 10 }), 'udp', 61_010).transition).toMatchObject({ to: 'active', reason: 'preempt' });
  });

  it('an active sent to standby by an operator holds back from preempting, until the active it yielded to is lost', () => {
    const e = new Election(config({ priority: 200 }), 0, ['udp']);
    e.tick(1_000);
    expect(e.goStandby(1_000).transition).toMatchObject({ from: 'active', to: 'standby', reason: 'operator-standby' });
    expect(e.holding).toBe(true);
    // The peer (standby, lower priority) is alive: this member lets it take over.
    expect(run(e, 1_000, 1_400, { unit: 2, beat: { priority: 100, state: 'standby' }, links: ['udp'] })).toBeNull();
    expect(run(e, 1_400, 4_000, { unit: 2, beat: { priority: 100, state: 'active' }, links: ['udp'] })).toBeNull();
    expect(e.state).toBe('standby');
    // It dies: nobody else can serve, so this member takes over, and stops holding.
    expect(run(e, 4_000, 6_000)!.reason).toBe('master-down');
    expect(e.holding).toBe(false);
  });

  it('failed over there and back by "go standby" on each active in turn: the first still takes over the second time', () => {
    // a (priority 200) was active, sent to standby; b took over. Now b is sent to standby too.
    const a = new Election(config({ unit: 1, priority: 200 }), 0, ['udp']);
    a.tick(1_000);
    a.goStandby(1_000);
    expect(run(a, 1_000, 2_000, { unit: 2, beat: { priority: 100, state: 'active' }, links: ['udp'] })).toBeNull();
    // Still no preemption of b (the operator's standby stands), but the takeover hold is lifted:
    expect(stateOf(a)).toEqual({ state: 'standby', holding: true });
    // b resigns (its heartbeats now say standby): a takes over after the skew, not both standby.
    const t = run(a, 2_000, 4_000, { unit: 2, beat: { priority: 100, state: 'standby' }, links: ['udp'] });
    expect(t).toMatchObject({ to: 'active', reason: 'peer-resigned' });
    expect(a.holding).toBe(false);
  });

  it("held back by an operator's standby beside a live standby peer: the next deadline is when that peer would go silent, never one already past", () => {
    const e = new Election(config({ unit: 1, priority: 200 }), 0, ['udp']);
    e.tick(1_000);
    e.goStandby(1_000);
    e.receive(2, hb({ priority: 100, state: 'standby' }), 'udp', 5_000);
    expect(e.tick(5_000).transition).toBeNull();
    expect(e.nextDeadline()).toBe(5_000 + e.masterDownMs());
    // That peer goes silent: this member takes over at that deadline.
    expect(e.tick(e.nextDeadline()!).transition).toMatchObject({ to: 'active', reason: 'master-down' });
  });

  it('go online releases an operator hold and lets preemption work again', () => {
    const e = new Election(config({ priority: 200 }), 0, ['udp']);
    e.goStandby(0);
    expect(run(e, 0, 1_000, { unit: 2, beat: { priority: 100 }, links: ['udp'] })).toBeNull();
    expect(e.goOnline(1_000).transition).toMatchObject({ to: 'active', reason: 'preempt' });
  });

  it('times the active by the interval the active advertises (RFC 5798 §6.4.2)', () => {
    const e = new Election(config({ priority: 100 }), 0, ['udp']);
    e.receive(2, hb({ priority: 200, intervalMs: 1_000 }), 'udp', 0);
    expect(e.masterDownMs()).toBe(masterDownMs(100, 1_000));
    expect(e.tick(3_000).transition).toBeNull();
    expect(e.tick(masterDownMs(100, 1_000)).transition!.reason).toBe('master-down');
  });
});
