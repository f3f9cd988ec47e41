import { afterEach, describe, expect, it } from 'vitest';
import { encodeHeartbeat } from '../../../../firmware/failover/heartbeat-codec.js';
import { decodeMessage } from '../../../../firmware/failover/message-codec.js';
import { ReplayGuard } from '../../../../firmware/failover/replay-guard.js';
import { fromHex } from '../../../../src/protocol/digest.js';
import { configId, encodeRules } from '../../../../src/protocol/rules/index.js';
import type { RuleTable } from '../../../../src/protocol/rules/model.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { service, table } from '../../../support/rules.js';
import { KEY, startMember, STICKY_TABLE, Wire, type TestMember } from './member-harness.js';

// A pending member confirms its commit when a peer states it runs the same config confirmed,
// and in no other case: each test drives the members' own configuration databases as the agent
// would (commit confirmed, confirm) and lets the fake clock run heartbeats and timeouts.

const T = 10_000;
const OLD = configId(STICKY_TABLE);
const weighted = (w: number): RuleTable =>
  table(service({ name: 'web', listen: '127.0.0.1:8000', algorithm: 'round-robin', backends: [{ weight: w }, {}, {}] }));
const NEW = weighted(5);
const OTHER = weighted(7);

let members: TestMember[] = [];
afterEach(() => {
  for (const m of members) m.member.stop();
  members = [];
});

async function pair() {
  const clock = new FakeClock();
  const udp = new Wire('udp', clock);
  const a = await startMember(clock, [udp], 1, { priority: 200 });
  const b = await startMember(clock, [udp], 2, { priority: 100 });
  members.push(a, b);
  await clock.advance(1_000);
  return { clock, udp, a, b };
}

async function commitConfirmed(m: TestMember, rules: RuleTable, timeoutMs = T): Promise<void> {
  m.config.setCandidate(encodeRules(rules));
  await m.config.commit({ confirmTimeoutMs: timeoutMs });
}

const agreements = (m: TestMember) => m.events.filter((e) => e.type === 'failover-config');

describe('config agreement between failover members', () => {
  it('pending, and a peer runs the same id confirmed: it confirms, as a confirm would, saying which peer', async () => {
    const { clock, a, b } = await pair();
    await commitConfirmed(b, NEW);
    await commitConfirmed(a, NEW);
    await clock.advance(500);
    // Both pending on the same id: neither moves.
    expect([a.config.pending, b.config.pending].every((p) => p !== null)).toBe(true);
    await a.config.confirm();
    await clock.advance(400);
    expect(b.config.pending).toBeNull();
    expect(b.config.startup.id).toBe(configId(NEW));
    expect(b.config.status()).toMatchObject({ runningId: configId(NEW), startupId: configId(NEW), pendingConfirmMs: 0 });
    expect(b.configEvents.at(-1)).toMatchObject({ kind: 'confirm', configId: configId(NEW), by: 'failover peer unit 1 runs it confirmed' });
    expect(agreements(b)).toEqual([expect.objectContaining({ type: 'failover-config', group: 'pair-a', unit: 2, peer: 1, configId: configId(NEW) })]);
    // Past the timeout it still runs the new config: nothing is left to revert.
    await clock.advance(T);
    expect(b.config.running.id).toBe(configId(NEW));
    expect(b.configEvents.some((e) => e.kind === 'rollback')).toBe(false);
    // The member confirmed by the agent had nothing to learn.
    expect(agreements(a)).toEqual([]);
  });

  it('a member forced offline agrees too', async () => {
    const { clock, a, b } = await pair();
    b.member.goOffline();
    await commitConfirmed(b, NEW);
    await commitConfirmed(a, NEW);
    await a.config.confirm();
    await clock.advance(400);
    expect(b.member.identity.state).toBe('offline');
    expect(b.config.pending).toBeNull();
    expect(b.config.startup.id).toBe(configId(NEW));
  });

  it('pending, and the peer pending on the same id: neither confirms, both revert at the timeout', async () => {
    const { clock, a, b } = await pair();
    await commitConfirmed(b, NEW);
    await commitConfirmed(a, NEW);
    await clock.advance(T + 500);
    for (const m of [a, b]) {
      expect(m.config.running.id).toBe(OLD);
      expect(m.config.pending).toBeNull();
      expect(m.configEvents.at(-1)).toMatchObject({ kind: 'rollback', reason: 'confirm-timeout', configId: OLD });
      expect(agreements(m)).toEqual([]);
    }
  });

  it('pending, and the peer runs another id confirmed: it reverts at its timeout', async () => {
    const { clock, a, b } = await pair();
    await commitConfirmed(a, OTHER);
    await a.config.confirm();
    await commitConfirmed(b, NEW);
    await clock.advance(T - 100);
    // The peer did state "confirmed" (it hears a pending member), on its own id: not this one.
    expect(b.member.status().peers[0]).toMatchObject({ unit: 1, configConfirm: 'confirmed', sameConfig: false });
    expect(b.config.pending).not.toBeNull();
    await clock.advance(200);
    expect(b.config.running.id).toBe(OLD);
    expect(b.configEvents.at(-1)).toMatchObject({ kind: 'rollback', reason: 'confirm-timeout' });
    expect(agreements(b)).toEqual([]);
    expect(a.config.running.id).toBe(configId(OTHER));
  });

  it('a forged or replayed "confirmed" heartbeat changes nothing', async () => {
    const { clock, udp, a, b } = await pair();
    // Unit 1 states OLD confirmed while unit 2 is pending on something else: recorded for replay.
    await commitConfirmed(b, OTHER);
    await clock.advance(300);
    const recorded = udp.sent.filter((bytes) => heartbeatOf(bytes, 1)?.configConfirm === 'confirmed');
    expect(recorded.length).toBeGreaterThan(0);
    await b.config.rollback(1);
    // Unit 1 moves on to NEW (pending, for longer than unit 2's test lasts), the heartbeats in
    // flight arrive, then unit 2 commits OLD confirmed: nothing live states OLD confirmed now.
    await commitConfirmed(a, NEW, 3 * T);
    await clock.advance(10);
    await commitConfirmed(b, STICKY_TABLE);
    const before = b.member.status().counters.rejected;
    for (const bytes of recorded) udp.inject(2, bytes);
    // A forgery: fresh sequence numbers, unit 1's name, OLD confirmed, but not the group key.
    const forged = encodeHeartbeat(
      { group: 'pair-a', unit: 1, epoch: Number.MAX_SAFE_INTEGER, seq: 1, link: 'udp' },
      { priority: 200, state: 'active', canServe: true, intervalMs: 100, tcpFlows: 0, configIdPrefix: fromHex(OLD).subarray(0, 8), configConfirm: 'confirmed' },
      new TextEncoder().encode('not the key of this group at all'),
    );
    udp.inject(2, forged);
    await clock.advance(50);
    const after = b.member.status().counters.rejected;
    expect(after.replay - before.replay).toBe(recorded.length);
    expect(after.badMac - before.badMac).toBe(1);
    expect(b.config.pending).not.toBeNull();
    await clock.advance(T);
    expect(agreements(b)).toEqual([]);
    expect(b.configEvents.some((e) => e.kind === 'confirm')).toBe(false);
    expect(b.configEvents.at(-1)).toMatchObject({ kind: 'rollback', reason: 'confirm-timeout' });
  });

  it('heartbeats say nothing of the config while no commit is pending in the group', async () => {
    const { clock, udp } = await pair();
    const mark = udp.sent.length;
    await clock.advance(1_000);
    const beats = udp.sent.slice(mark).map((bytes) => heartbeatOf(bytes, 1) ?? heartbeatOf(bytes, 2));
    expect(beats.length).toBeGreaterThan(10);
    for (const h of beats) expect(h?.configConfirm).toBeUndefined();
  });
});

/** The heartbeat in `bytes` if unit `unit` sent one, decoded as any receiver would (a fresh replay guard). */
function heartbeatOf(bytes: Uint8Array, unit: number) {
  try {
    const m = decodeMessage(bytes, { group: 'pair-a', key: KEY, link: 'udp', ownUnit: 99, guard: new ReplayGuard() });
    return m.kind === 'heartbeat' && m.header.unit === unit ? m.heartbeat : null;
  } catch {
    return null;
  }
}
