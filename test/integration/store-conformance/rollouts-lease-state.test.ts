/** Rollouts (with their runner lease), the poller lease and each appliance's last known state behave the same on every engine. */
import { expect, it } from 'vitest';
import { FAILOVER_EVENT_KIND, type AgentStore, type PollerHolder } from '../../../src/store/index.js';
import { describeEachEngine } from './engines.js';

const T0 = Date.UTC(2025, 5, 15);
const SHA = 'a'.repeat(64);

async function rolloutOf(s: AgentStore, devices = ['lb1', 'lb2', 'lb3']) {
  await s.firmwareImages.put({ sha256: SHA, version: '1.1.0', securityCounter: 1, size: 1024, keyId: '0123456789abcdef', added: T0 });
  return s.rollouts.create(
    {
      image: SHA,
      version: '1.1.0',
      waves: [1, '100%'],
      maxFailures: '1',
      allowedFailures: 1,
      deadlineMs: 60_000,
      devices: devices.map((appliance, i) => ({ appliance, wave: i === 0 ? 1 : 2 })),
    },
    T0,
  );
}

const runner = (token: string, heartbeat = T0) => ({ token, host: 'agent-1', pid: 4242, heartbeat });

describeEachEngine('store conformance: rollouts', ({ open }) => {
  it('creates a running rollout with pending devices by wave and position', async () => {
    const s = await open();
    const r = await rolloutOf(s, ['lb3', 'lb1', 'lb2']);
    expect(r).toMatchObject({
      image: SHA,
      state: 'running',
      reason: null,
      waves: [1, '100%'],
      maxFailures: '1',
      allowedFailures: 1,
      deadlineMs: 60_000,
      runner: null,
      created: T0,
    });
    expect((await s.rollouts.devices(r.id)).map((d) => [d.appliance, d.wave, d.position, d.state])).toEqual([
      ['lb3', 1, 0, 'pending'],
      ['lb1', 2, 1, 'pending'],
      ['lb2', 2, 2, 'pending'],
    ]);
    expect(await s.rollouts.countByState(r.id)).toEqual({ pending: 3, upgrading: 0, succeeded: 0, failed: 0 });
    const second = await rolloutOf(s, ['lb9']);
    expect((await s.rollouts.latest())?.id).toBe(second.id);
    expect((await s.rollouts.list()).map((x) => x.id)).toEqual([second.id, r.id]);
    expect((await s.rollouts.list(1)).map((x) => x.id)).toEqual([second.id]);
    expect(await s.rollouts.get(second.id + 100)).toBeNull();
  });

  it('claims, renews and releases the runner lease only with the expected token', async () => {
    const s = await open();
    const r = await rolloutOf(s);
    expect(await s.rollouts.claimRunner(r.id, runner('one'), 'someone')).toBe(false);
    expect(await s.rollouts.claimRunner(r.id, runner('one'), null)).toBe(true);
    expect(await s.rollouts.claimRunner(r.id, runner('two'), null)).toBe(false);
    expect(await s.rollouts.heartbeat(r.id, 'one', T0 + 5000)).toBe(true);
    const held = (await s.rollouts.get(r.id))?.runner;
    expect(held).toMatchObject({ token: 'one', host: 'agent-1', pid: 4242 });
    // The heartbeat is on the store's clock: the caller's time on one machine's file, the server's own where runners share a server.
    const clock = await s.rollouts.clock();
    expect(held!.heartbeat === T0 + 5000 || Math.abs(held!.heartbeat - clock) < 60_000).toBe(true);
    expect(await s.rollouts.heartbeat(r.id, 'two', T0 + 6000)).toBe(false);
    // A takeover names the holder it replaces.
    expect(await s.rollouts.claimRunner(r.id, runner('two', T0 + 7000), 'one')).toBe(true);
    expect(await s.rollouts.heartbeat(r.id, 'one')).toBe(false);
    await s.rollouts.releaseRunner(r.id, 'one');
    expect((await s.rollouts.get(r.id))?.runner?.token).toBe('two');
    await s.rollouts.releaseRunner(r.id, 'two');
    expect((await s.rollouts.get(r.id))?.runner).toBeNull();
  });

  it('runs devices only under the lease and while running, and resumes a halted rollout', async () => {
    const s = await open();
    const r = await rolloutOf(s);
    expect(await s.rollouts.startDevice(r.id, 'lb1', 'one', T0 + 1)).toBe(false);
    await s.rollouts.claimRunner(r.id, runner('one'), null);
    expect(await s.rollouts.startDevice(r.id, 'lb1', 'one', T0 + 10)).toBe(true);
    expect(await s.rollouts.finishDevice(r.id, 'lb1', { state: 'succeeded', version: '1.1.0' }, 'other', T0 + 20)).toBe(false);
    expect(await s.rollouts.finishDevice(r.id, 'lb1', { state: 'succeeded', version: '1.1.0' }, 'one', T0 + 20)).toBe(true);
    expect(await s.rollouts.startDevice(r.id, 'lb1', 'one', T0 + 30)).toBe(false);
    expect(await s.rollouts.startDevice(r.id, 'lb2', 'one', T0 + 40)).toBe(true);
    expect(await s.rollouts.finishDevice(r.id, 'lb2', { state: 'failed', error: 'timeout' }, 'one', T0 + 50)).toBe(true);
    expect((await s.rollouts.devices(r.id)).find((d) => d.appliance === 'lb2')).toMatchObject({
      state: 'failed',
      started: T0 + 40,
      finished: T0 + 50,
      error: 'timeout',
      version: null,
    });

    expect(await s.rollouts.setState(r.id, 'halted', ['paused'], 'no', T0 + 55)).toBe(false);
    expect(await s.rollouts.setState(r.id, 'halted', ['running', 'paused'], 'too many failures', T0 + 60)).toBe(true);
    expect(await s.rollouts.get(r.id)).toMatchObject({ state: 'halted', reason: 'too many failures', updated: T0 + 60 });
    expect(await s.rollouts.setState(r.id, 'running', [], null)).toBe(false);
    expect(await s.rollouts.startDevice(r.id, 'lb3', 'one', T0 + 65)).toBe(false);
    expect(await s.rollouts.unfinishedRolloutsOf(['lb2', 'lb9'])).toEqual([{ appliance: 'lb2', rollout: r.id, state: 'halted' }]);

    expect(await s.rollouts.resumeHalted(r.id, T0 + 70)).toEqual(['lb2']);
    expect(await s.rollouts.resumeHalted(r.id, T0 + 71)).toBeNull();
    expect(await s.rollouts.get(r.id)).toMatchObject({ state: 'running', reason: null });
    expect(await s.rollouts.countByState(r.id)).toEqual({ pending: 2, upgrading: 0, succeeded: 1, failed: 0 });
    expect(await s.rollouts.setState(r.id, 'succeeded', ['running'], null, T0 + 80)).toBe(true);
    expect(await s.rollouts.unfinishedRolloutsOf(['lb1', 'lb2', 'lb3'])).toEqual([]);
    expect(await s.rollouts.unfinishedRolloutsOf([])).toEqual([]);
  });
});

const holder = (id: string, expires: number): PollerHolder => ({ holder: id, pid: 100, host: 'agent-1', command: 'fulcrum monitor', since: T0, expires });

describeEachEngine('store conformance: poller lease', ({ open }) => {
  it('is claimed by one holder while live, renewed and released only by it, taken over when not live', async () => {
    const s = await open();
    expect(await s.pollerLease.holder()).toBeNull();
    expect(await s.pollerLease.claim(holder('a', T0 + 30_000), () => true)).toBeNull();
    expect(await s.pollerLease.holder()).toEqual(holder('a', T0 + 30_000));
    expect(await s.pollerLease.claim(holder('b', T0 + 30_000), () => true)).toEqual(holder('a', T0 + 30_000));
    expect(await s.pollerLease.renew('b', T0 + 60_000)).toBe(false);
    expect(await s.pollerLease.renew('a', T0 + 60_000)).toBe(true);
    expect((await s.pollerLease.holder())?.expires).toBe(T0 + 60_000);
    await s.pollerLease.release('b');
    expect((await s.pollerLease.holder())?.holder).toBe('a');
    expect(await s.pollerLease.claim(holder('b', T0 + 90_000), (current) => current.expires > T0 + 70_000)).toBeNull();
    expect((await s.pollerLease.holder())?.holder).toBe('b');
    expect(await s.pollerLease.renew('a', T0 + 100_000)).toBe(false);
    await s.pollerLease.release('b');
    expect(await s.pollerLease.holder()).toBeNull();
  });

  it('lets exactly one of many simultaneous claims win', async () => {
    const s = await open();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => s.pollerLease.claim(holder(id, T0 + 30_000), () => true)));
    expect(results.filter((r) => r === null)).toHaveLength(1);
    const winner = (await s.pollerLease.holder())!.holder;
    for (const r of results) if (r !== null) expect(r.holder).toBe(winner);
  });
});

const identity = (state: 'active' | 'standby' | null, configId = 'c'.repeat(64)) => ({
  model: 'FX-1',
  firmware: '1.0.0',
  configId,
  pendingConfirm: null,
  ...(state && { group: { name: 'pair', unit: state === 'active' ? 1 : 2, state } }),
});

describeEachEngine('store conformance: appliance state', ({ open }) => {
  it('records observed and failed polls, keeps the identity last read, and goes with the appliance', async () => {
    const s = await open();
    await s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyS0' });
    await s.applianceState.observed('ghost', T0, identity(null));
    expect(await s.applianceState.get('ghost')).toBeNull();
    expect(await s.applianceState.observed('lb1', T0, { ...identity(null), pendingConfirm: 30 })).toBeNull();
    await s.applianceState.failed('lb1', T0 + 10_000, 'timeout');
    expect(await s.applianceState.get('lb1')).toEqual({
      name: 'lb1',
      reachable: false,
      lastPoll: T0,
      lastAttempt: T0 + 10_000,
      error: 'timeout',
      model: 'FX-1',
      firmware: '1.0.0',
      configId: 'c'.repeat(64),
      pendingUntil: T0 + 30_000,
      group: null,
    });
    expect([...(await s.applianceState.all()).keys()]).toEqual(['lb1']);
    await s.applianceState.forget('lb1');
    expect(await s.applianceState.get('lb1')).toBeNull();
    await s.applianceState.failed('lb1', T0 + 20_000, 'refused');
    expect(await s.applianceState.get('lb1')).toMatchObject({ reachable: false, lastPoll: null, model: null, error: 'refused' });
    await s.inventory.remove('lb1');
    expect((await s.applianceState.all()).size).toBe(0);
  });

  it('lists a group by unit and records a member changing state as one failover event', async () => {
    const s = await open();
    for (const name of ['lb-b', 'lb-a']) await s.inventory.add({ name, target: 'serial:/dev/ttyS0' });
    await s.applianceState.observed('lb-b', T0, identity('standby'));
    await s.applianceState.observed('lb-a', T0, identity('active'));
    expect((await s.applianceState.members('pair')).map((m) => [m.name, m.group?.unit, m.group?.state])).toEqual([
      ['lb-a', 1, 'active'],
      ['lb-b', 2, 'standby'],
    ]);
    expect(await s.applianceState.observed('lb-b', T0 + 1000, identity('standby'))).toBeNull();
    const change = await s.applianceState.observed('lb-b', T0 + 2000, { ...identity('active'), group: { name: 'pair', unit: 2, state: 'active' } });
    expect(change).toEqual({ group: 'pair', unit: 2, from: 'standby', to: 'active' });
    const events = await s.events.query({ kind: FAILOVER_EVENT_KIND });
    expect(events.map((e) => [e.appliance, e.ts, e.detail])).toEqual([['lb-b', T0 + 2000, change]]);
    expect(await s.applianceState.members('other')).toEqual([]);
  });
});
