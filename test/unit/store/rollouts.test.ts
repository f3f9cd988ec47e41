/** The rollout tables' accessors: the writes that race with another process are conditional. */
import { describe, expect, it } from 'vitest';
import { fleetOnDisk } from '../upgrade/rollout/support.js';

const runner = (token: string) => ({ token, host: 'here', pid: 1, heartbeat: 1_000 });

describe('rollout store', () => {
  async function rolloutOf(devices: number) {
    const fleet = await fleetOnDisk(devices);
    const { store } = await fleet.engine();
    const r = await store.rollouts.create(
      {
        image: fleet.image.sha256,
        version: '2.0.0',
        waves: [1, '100%'],
        maxFailures: '0',
        allowedFailures: 0,
        deadlineMs: 60_000,
        devices: fleet.names.map((appliance, i) => ({ appliance, wave: i === 0 ? 1 : 2 })),
      },
      5_000,
    );
    return { rollouts: store.rollouts, r, names: fleet.names };
  }

  it('creates a running rollout with every device pending, in wave then target order', async () => {
    const { rollouts, r } = await rolloutOf(3);
    expect(r).toMatchObject({
      state: 'running',
      reason: null,
      waves: [1, '100%'],
      maxFailures: '0',
      allowedFailures: 0,
      deadlineMs: 60_000,
      created: 5_000,
      updated: 5_000,
      runner: null,
    });
    expect((await rollouts.devices(r.id)).map((d) => [d.appliance, d.wave, d.state, d.started])).toEqual([
      ['dev-01', 1, 'pending', null],
      ['dev-02', 2, 'pending', null],
      ['dev-03', 2, 'pending', null],
    ]);
    expect(await rollouts.countByState(r.id)).toEqual({ pending: 3, upgrading: 0, succeeded: 0, failed: 0 });
    expect((await rollouts.latest())?.id).toBe(r.id);
  });

  it('starts a device only for the lease holder of a running rollout, and records its end only for the holder', async () => {
    const { rollouts, r } = await rolloutOf(2);
    expect(await rollouts.startDevice(r.id, 'dev-01', 'a', 6_000)).toBe(false);
    expect(await rollouts.claimRunner(r.id, runner('a'), null)).toBe(true);
    expect(await rollouts.claimRunner(r.id, runner('b'), null)).toBe(false);
    expect(await rollouts.startDevice(r.id, 'dev-01', 'b', 6_000)).toBe(false);
    expect(await rollouts.startDevice(r.id, 'dev-01', 'a', 6_000)).toBe(true);
    expect((await rollouts.devices(r.id))[0]).toMatchObject({ state: 'upgrading', started: 6_000 });
    expect(await rollouts.finishDevice(r.id, 'dev-01', { state: 'succeeded', version: '2.0.0' }, 'b', 7_000)).toBe(false);
    expect(await rollouts.finishDevice(r.id, 'dev-01', { state: 'succeeded', version: '2.0.0' }, 'a', 7_000)).toBe(true);
    expect((await rollouts.devices(r.id))[0]).toMatchObject({ state: 'succeeded', finished: 7_000, version: '2.0.0', error: null });
    // A finished device is never started again.
    expect(await rollouts.startDevice(r.id, 'dev-01', 'a', 8_000)).toBe(false);
    // Paused: no start, even for the holder; an upgrade under way is still recorded.
    expect(await rollouts.startDevice(r.id, 'dev-02', 'a', 8_000)).toBe(true);
    expect(await rollouts.setState(r.id, 'paused', ['running'], 'paused by the operator', 8_500)).toBe(true);
    expect(await rollouts.finishDevice(r.id, 'dev-02', { state: 'failed', error: 'boom' }, 'a', 9_000)).toBe(true);
    expect(await rollouts.get(r.id)).toMatchObject({ state: 'paused', reason: 'paused by the operator', updated: 9_000 });
  });

  it('changes a state only from the states given, and puts a halted rollout back with its failed devices pending', async () => {
    const { rollouts, r } = await rolloutOf(2);
    expect(await rollouts.setState(r.id, 'halted', ['paused'], 'x')).toBe(false);
    expect(await rollouts.setState(r.id, 'halted', ['running'], 'too many failures')).toBe(true);
    expect(await rollouts.resumeHalted(r.id)).toEqual([]);
    await rollouts.claimRunner(r.id, runner('a'), null);
    await rollouts.startDevice(r.id, 'dev-02', 'a');
    await rollouts.finishDevice(r.id, 'dev-02', { state: 'failed', error: 'refused' }, 'a');
    await rollouts.setState(r.id, 'halted', ['running'], 'too many failures');
    expect(await rollouts.resumeHalted(r.id)).toEqual(['dev-02']);
    expect(await rollouts.get(r.id)).toMatchObject({ state: 'running', reason: null });
    expect((await rollouts.devices(r.id))[1]).toMatchObject({ state: 'pending', error: null, started: null });
    expect(await rollouts.resumeHalted(r.id)).toBeNull();
  });

  it('finds appliances in rollouts that are not over; releases and renews the lease only for its holder', async () => {
    const { rollouts, r } = await rolloutOf(2);
    expect(await rollouts.unfinishedRolloutsOf(['dev-02', 'other'])).toEqual([{ appliance: 'dev-02', rollout: r.id, state: 'running' }]);
    await rollouts.setState(r.id, 'aborted', ['running'], null);
    expect(await rollouts.unfinishedRolloutsOf(['dev-02'])).toEqual([]);
    await rollouts.claimRunner(r.id, runner('a'), null);
    expect(await rollouts.heartbeat(r.id, 'b', 2_000)).toBe(false);
    expect(await rollouts.heartbeat(r.id, 'a', 2_000)).toBe(true);
    await rollouts.releaseRunner(r.id, 'b');
    expect((await rollouts.get(r.id))?.runner).toEqual({ token: 'a', host: 'here', pid: 1, heartbeat: 2_000 });
    await rollouts.releaseRunner(r.id, 'a');
    expect((await rollouts.get(r.id))?.runner).toBeNull();
  });
});
