/** Fleet pushes (their targets' progress and their runner lease) behave the same on every engine. */
import { expect, it } from 'vitest';
import type { AgentStore, NewFleetPush } from '../../../src/store/index.js';
import { describeEachEngine } from './engines.js';

const T0 = Date.UTC(2025, 5, 15);
const ID = 'c'.repeat(64);

const spec = (targets = ['lb2', 'lb1', 'lb3']): NewFleetPush => ({
  rules: Uint8Array.from([1, 0, 255, 7]),
  configId: ID,
  targets,
  canary: 1,
  confirmTimeoutMs: 120_000,
  settleMs: 3000,
  allowDestructive: false,
  actor: { id: 4, name: 'ops' },
});

const runner = (token: string, host = 'agent-1') => ({ token, host, pid: 4242, heartbeat: T0 });

async function claimed(s: AgentStore, token = 'one') {
  const p = await s.fleetPushes.create(spec(), T0);
  expect(await s.fleetPushes.claimRunner(p.id, runner(token), null)).toBe(true);
  return p;
}

describeEachEngine('store conformance: fleet pushes', ({ open, reopen }) => {
  it('keeps what was asked, the rule table byte for byte, and the targets in the order given', async () => {
    const s = await open();
    const p = await s.fleetPushes.create(spec(), T0);
    expect(p).toEqual({
      id: p.id,
      created: T0,
      updated: T0,
      state: 'running',
      configId: ID,
      canary: 1,
      confirmTimeoutMs: 120_000,
      settleMs: 3000,
      allowDestructive: false,
      actor: { id: 4, name: 'ops' },
      failure: null,
      runner: null,
      adoptions: [],
    });
    expect(await s.fleetPushes.rules(p.id)).toEqual(Uint8Array.from([1, 0, 255, 7]));
    const targets = await s.fleetPushes.targets(p.id);
    expect(targets.map((t) => [t.appliance, t.position, t.state, t.canary, t.sent, t.before, t.baseline])).toEqual([
      ['lb2', 0, 'waiting', false, false, null, null],
      ['lb1', 1, 'waiting', false, false, null, null],
      ['lb3', 2, 'waiting', false, false, null, null],
    ]);
    const second = await s.fleetPushes.create({ ...spec(['lb9']), actor: null }, T0 + 1);
    expect((await s.fleetPushes.list()).map((x) => x.id)).toEqual([second.id, p.id]);
    expect((await s.fleetPushes.list(1)).map((x) => x.id)).toEqual([second.id]);
    expect((await s.fleetPushes.get(second.id))?.actor).toBeNull();
    expect(await s.fleetPushes.get(second.id + 100)).toBeNull();
    expect(await s.fleetPushes.rules(second.id + 100)).toBeNull();
    // Another process opening the same store reads the same push.
    const other = await reopen(s);
    expect((await other.fleetPushes.get(p.id))?.configId).toBe(ID);
  });

  it('records progress only under the lease, changing just the fields given', async () => {
    const s = await open();
    const p = await s.fleetPushes.create(spec(), T0);
    const plan = [{ appliance: 'lb1', state: 'planned' as const, before: 'a'.repeat(64), after: 'a'.repeat(64), canary: true }];
    expect(await s.fleetPushes.updateTargets(p.id, 'one', plan, T0 + 1)).toBe(false);
    await s.fleetPushes.claimRunner(p.id, runner('one'), null);
    expect(await s.fleetPushes.updateTargets(p.id, 'one', plan, T0 + 10)).toBe(true);
    const baseline = { start: Uint8Array.from([9, 8, 7]), end: Uint8Array.from([6, 5]), seconds: 3.25 };
    expect(await s.fleetPushes.updateTargets(p.id, 'one', [{ appliance: 'lb1', state: 'pushing', sent: true, baseline }], T0 + 20)).toBe(true);
    expect(await s.fleetPushes.updateTargets(p.id, 'two', [{ appliance: 'lb1', state: 'confirmed' }], T0 + 30)).toBe(false);
    const lb1 = (await s.fleetPushes.targets(p.id)).find((t) => t.appliance === 'lb1');
    expect(lb1).toEqual({
      appliance: 'lb1',
      position: 1,
      canary: true,
      state: 'pushing',
      before: 'a'.repeat(64),
      after: 'a'.repeat(64),
      error: null,
      sent: true,
      baseline,
      updated: T0 + 20,
    });
    expect((await s.fleetPushes.get(p.id))?.updated).toBe(T0 + 20);
    expect(await s.fleetPushes.updateTargets(p.id, 'one', [{ appliance: 'lb1', state: 'failed', error: 'timeout', baseline: null }], T0 + 40)).toBe(true);
    expect((await s.fleetPushes.targets(p.id)).find((t) => t.appliance === 'lb1')).toMatchObject({
      state: 'failed',
      error: 'timeout',
      baseline: null,
      sent: true,
    });
  });

  it('keeps the first failure, and finishes only from running with the lease', async () => {
    const s = await open();
    const p = await claimed(s);
    expect(await s.fleetPushes.fail(p.id, 'two', { appliance: 'lb1', reason: 'no' })).toBe(false);
    expect(await s.fleetPushes.fail(p.id, 'one', { appliance: 'lb1', reason: 'service svc0 stopped taking connections' })).toBe(true);
    expect(await s.fleetPushes.fail(p.id, 'one', { appliance: 'lb2', reason: 'later' })).toBe(true);
    expect((await s.fleetPushes.get(p.id))?.failure).toEqual({ appliance: 'lb1', reason: 'service svc0 stopped taking connections' });
    expect(await s.fleetPushes.finish(p.id, 'two', 'failed')).toBe(false);
    expect(await s.fleetPushes.finish(p.id, 'one', 'failed', T0 + 50)).toBe(true);
    expect(await s.fleetPushes.get(p.id)).toMatchObject({ state: 'failed', updated: T0 + 50 });
    expect(await s.fleetPushes.finish(p.id, 'one', 'succeeded')).toBe(false);
    // A finished push takes no more progress.
    expect(await s.fleetPushes.updateTargets(p.id, 'one', [{ appliance: 'lb1', state: 'confirmed' }])).toBe(false);
    const refused = await claimed(s, 'r');
    await s.fleetPushes.fail(refused.id, 'r', { appliance: 'lb3', reason: 'the plan removes most services on lb3', code: 'destructivePlan' });
    expect(await s.fleetPushes.finish(refused.id, 'r', 'refused')).toBe(true);
    expect(await s.fleetPushes.get(refused.id)).toMatchObject({ state: 'refused', failure: { code: 'destructivePlan' } });
  });

  it('hands the lease over only from the holder seen, fences the old holder and keeps each adoption', async () => {
    const s = await open();
    const p = await claimed(s);
    expect(await s.fleetPushes.claimRunner(p.id, runner('two'), null)).toBe(false);
    expect(await s.fleetPushes.heartbeat(p.id, 'one', T0 + 5000)).toBe(true);
    const held = (await s.fleetPushes.get(p.id))!.runner!;
    expect(held).toMatchObject({ token: 'one', host: 'agent-1', pid: 4242 });
    // On the store's clock: the caller's time on one machine's file, the server's own where agents share a server.
    const clock = await s.fleetPushes.clock();
    expect(held.heartbeat === T0 + 5000 || Math.abs(held.heartbeat - clock) < 60_000).toBe(true);
    expect(await s.fleetPushes.claimRunner(p.id, runner('two', 'agent-2'), 'one')).toBe(true);
    expect(await s.fleetPushes.heartbeat(p.id, 'one')).toBe(false);
    expect(await s.fleetPushes.updateTargets(p.id, 'one', [{ appliance: 'lb1', state: 'confirmed' }])).toBe(false);
    expect(await s.fleetPushes.fail(p.id, 'one', { appliance: 'lb1', reason: 'late' })).toBe(false);
    expect(await s.fleetPushes.finish(p.id, 'one', 'succeeded')).toBe(false);
    const adoption = { at: T0 + 40_000, from: { host: 'agent-1', pid: 4242 }, by: { host: 'agent-2', pid: 4242 } };
    expect(await s.fleetPushes.noteAdoption(p.id, 'one', adoption)).toBe(false);
    expect(await s.fleetPushes.noteAdoption(p.id, 'two', adoption)).toBe(true);
    expect(await s.fleetPushes.noteAdoption(p.id, 'two', { ...adoption, at: T0 + 80_000 })).toBe(true);
    expect((await s.fleetPushes.get(p.id))?.adoptions).toEqual([adoption, { ...adoption, at: T0 + 80_000 }]);
    await s.fleetPushes.releaseRunner(p.id, 'one');
    expect((await s.fleetPushes.get(p.id))?.runner?.token).toBe('two');
    await s.fleetPushes.releaseRunner(p.id, 'two');
    expect((await s.fleetPushes.get(p.id))?.runner).toBeNull();
  });

  it('lets exactly one of several simultaneous takeovers win', async () => {
    const s = await open();
    const p = await claimed(s, 'dead');
    const others = await Promise.all([reopen(s), reopen(s)]);
    const results = await Promise.all([s, ...others, s].map((store, i) => store.fleetPushes.claimRunner(p.id, runner(`new-${i}`, `agent-${i}`), 'dead')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await s.fleetPushes.get(p.id))?.runner?.token).toBe(`new-${results.indexOf(true)}`);
  });
});
