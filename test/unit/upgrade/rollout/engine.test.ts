/**
 * The rollout engine with a fake upgrade: waves in order, the failure threshold, the per-device
 * deadline, and the database as the only truth (controls from another connection to the file,
 * as another process would use).
 */
import { describe, expect, it } from 'vitest';
import { RolloutError, type RolloutEvent, type UpgradeOne } from '../../../../src/upgrade/rollout/index.js';
import { FakeFleet, fleetOnDisk, until } from './support.js';

async function rejection(promise: Promise<unknown>): Promise<RolloutError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RolloutError);
  return error as RolloutError;
}

const waveOf = (status: { devices: Array<{ appliance: string; wave: number }> }, name: string) => status.devices.find((d) => d.appliance === name)!.wave;

describe('rollout engine', () => {
  it('runs wave after wave, each only once every device of the one before succeeded, at most `concurrency` at once', async () => {
    const fleet = await fleetOnDisk(20);
    const events: RolloutEvent[] = [];
    const { engine, store } = await fleet.engine((e) => events.push(e));
    const created = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: [1, '10%', '50%', '100%'] });
    expect(created.state).toBe('running');
    expect(created.waves.map((w) => w.size)).toEqual([1, 1, 8, 10]);
    expect(created.devices.every((d) => d.state === 'pending')).toBe(true);

    const fake = new FakeFleet();
    const done = await engine.run(created.id, { upgrade: fake.upgrade, concurrency: 3 });

    expect(done.state).toBe('succeeded');
    expect(done.totals).toMatchObject({ devices: 20, succeeded: 20, failed: 0, pending: 0, upgrading: 0 });
    expect(done.devices.every((d) => d.version === '2.0.0' && d.started !== null && d.finished !== null && d.error === null)).toBe(true);
    for (const name of fleet.names) expect(fake.callsOf(name)).toBe(1);
    // No device of wave k+1 started before every device of wave k ended.
    for (const d of done.devices) {
      const start = fake.log.indexOf(`start ${d.appliance}`);
      for (const earlier of done.devices.filter((e) => e.wave < d.wave)) expect(fake.log.indexOf(`end ${earlier.appliance}`)).toBeLessThan(start);
    }
    expect(fake.maxRunning).toBe(3);
    expect(events.filter((e) => e.event === 'wave').map((e) => (e as { wave: number }).wave)).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)).toMatchObject({ event: 'state', state: 'succeeded' });
    // The same story is in the events table, device events under the appliance's name.
    const recorded = await store.events.query({ kind: 'rollout' });
    expect(recorded.filter((e) => e.appliance === 'dev-07').map((e) => (e.detail as RolloutEvent).event)).toEqual(['upgrading', 'succeeded']);
    expect(recorded.filter((e) => e.appliance === `rollout:${created.id}`).map((e) => (e.detail as RolloutEvent).event)).toEqual([
      'created',
      'run',
      'wave',
      'wave',
      'wave',
      'wave',
      'state',
    ]);
  });

  it('halts when a failure exceeds max failures 0: the bad device’s wave finishes, no later wave starts', async () => {
    const fleet = await fleetOnDisk(20);
    const { engine } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: [1, '10%', '50%', '100%'], maxFailures: 0 });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-05', 'fail');

    const done = await engine.run(id, { upgrade: fake.upgrade });

    expect(done.state).toBe('halted');
    expect(done.reason).toMatch(/1 device\(s\) failed, more than the 0 allowed/);
    expect(waveOf(done, 'dev-05')).toBe(3);
    const bad = done.devices.find((d) => d.appliance === 'dev-05')!;
    expect(bad).toMatchObject({ state: 'failed', error: 'dev-05: image refused (untrustedKey)' });
    // Wave 3 (8 devices, all started at once with the default concurrency of 8) is recorded whole.
    expect(done.waves.map((w) => [w.wave, w.succeeded, w.failed, w.pending])).toEqual([
      [1, 1, 0, 0],
      [2, 1, 0, 0],
      [3, 7, 1, 0],
      [4, 0, 0, 10],
    ]);
    for (const d of done.devices.filter((x) => x.wave === 4)) expect(fake.callsOf(d.appliance)).toBe(0);
    await expect(rejection(engine.run(id, { upgrade: fake.upgrade }))).resolves.toMatchObject({
      code: 'state',
      message: expect.stringMatching(/halted: resume it first/),
    });
  });

  it('starts no device once the threshold is passed; those already upgrading finish and are recorded', async () => {
    const fleet = await fleetOnDisk(6);
    const { engine } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'], maxFailures: 0 });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-01', 'fail');
    const done = await engine.run(id, { upgrade: fake.upgrade, concurrency: 2 });
    expect(done.state).toBe('halted');
    // dev-01 and dev-02 ran together; after dev-01 failed nothing else started.
    expect(done.devices.map((d) => d.state)).toEqual(['failed', 'succeeded', 'pending', 'pending', 'pending', 'pending']);
    expect([...fake.calls.keys()]).toEqual(['dev-01', 'dev-02']);
  });

  it('tolerates failures up to max failures within a wave, but never starts the next wave on one that did not fully succeed', async () => {
    const fleet = await fleetOnDisk(20);
    const { engine } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: [1, '10%', '50%', '100%'], maxFailures: '10%' });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-04', 'fail');
    const done = await engine.run(id, { upgrade: fake.upgrade, concurrency: 2 });
    expect(done.allowedFailures).toBe(2);
    expect(done.state).toBe('halted');
    expect(done.reason).toMatch(/wave 3 did not fully succeed \(dev-04: dev-04: image refused/);
    expect(done.waves[2]).toMatchObject({ succeeded: 7, failed: 1, pending: 0 });
    expect(done.waves[3]).toMatchObject({ pending: 10 });
  });

  it('counts an upgrade that resolves unconfirmed, or on another version, as failed', async () => {
    const fleet = await fleetOnDisk(2);
    const { engine } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'], maxFailures: 2 });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-01', 'unconfirmed');
    fake.behaviour.set('dev-02', 'wrong-version');
    const done = await engine.run(id, { upgrade: fake.upgrade });
    expect(done.devices.map((d) => [d.state, d.version, d.error])).toEqual([
      ['failed', '2.0.0', 'the appliance runs 2.0.0 but did not confirm it (it reverts at its next boot)'],
      ['failed', '1.0.0', 'the appliance runs 1.0.0 after the upgrade, not 2.0.0'],
    ]);
  });

  it('fails a device still upgrading at its deadline, tells its upgrade to stop, and ignores what it does later', async () => {
    const fleet = await fleetOnDisk(3);
    const { engine, store } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'], maxFailures: 1, deadlineMs: 50 });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-02', 'hang');
    const done = await engine.run(id, { upgrade: fake.upgrade });
    expect(done.devices.map((d) => d.state)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(done.devices[1]!.error).toBe('deadline passed after 0.05 s');
    expect(fake.signals.get('dev-02')!.aborted).toBe(true);
    expect(done.state).toBe('halted');
    // The abandoned upgrade now succeeds: too late, the record stays.
    fake.settleHung();
    await until(() => fake.running === 0, 'the abandoned upgrade to settle');
    expect((await store.rollouts.devices(id))[1]).toMatchObject({ state: 'failed', version: null });
  });

  it('pauses and resumes from another process: running devices finish, none starts while paused, none is redone', async () => {
    const fleet = await fleetOnDisk(10);
    const { engine: agent } = await fleet.engine();
    const { engine: operator } = await fleet.engine();
    const { id } = await agent.start({ image: fleet.image.sha256, targets: 'all', waves: [2, '100%'] });
    const fake = new FakeFleet();
    fake.hold();
    const run = agent.run(id, { upgrade: fake.upgrade, concurrency: 4 });
    await until(() => fake.running === 2, 'wave 1 under way');

    expect((await operator.pause(id)).state).toBe('paused');
    fake.release();
    const paused = await run;
    expect(paused.state).toBe('paused');
    expect(paused.reason).toBe('paused by the operator');
    expect(paused.totals).toMatchObject({ succeeded: 2, pending: 8, upgrading: 0 });
    await expect(rejection(agent.run(id, { upgrade: fake.upgrade }))).resolves.toMatchObject({ code: 'state' });

    expect((await operator.resume(id)).state).toBe('running');
    const done = await operator.run(id, { upgrade: fake.upgrade, concurrency: 4 });
    expect(done.state).toBe('succeeded');
    for (const name of fleet.names) expect(fake.callsOf(name)).toBe(1);
  });

  it('aborts from another process: nothing more starts, and an aborted rollout cannot be resumed', async () => {
    const fleet = await fleetOnDisk(6);
    const { engine: agent } = await fleet.engine();
    const { engine: operator } = await fleet.engine();
    const { id } = await agent.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'] });
    const fake = new FakeFleet();
    fake.hold();
    const run = agent.run(id, { upgrade: fake.upgrade, concurrency: 2 });
    await until(() => fake.running === 2, 'two upgrades under way');
    expect((await operator.abort(id)).state).toBe('aborted');
    fake.release();
    const aborted = await run;
    expect(aborted.state).toBe('aborted');
    expect(aborted.devices.map((d) => d.state)).toEqual(['succeeded', 'succeeded', 'pending', 'pending', 'pending', 'pending']);
    await expect(operator.resume(id)).rejects.toThrow(/aborted: there is nothing to resume/);
    await expect(operator.pause(id)).rejects.toThrow(RolloutError);
  });

  it('resuming a halted rollout retries its failed devices and carries on, without redoing the others', async () => {
    const fleet = await fleetOnDisk(5);
    const { engine } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: [1, '100%'] });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-03', 'fail');
    expect((await engine.run(id, { upgrade: fake.upgrade })).state).toBe('halted');
    fake.behaviour.delete('dev-03');
    const resumed = await engine.resume(id);
    expect(resumed.state).toBe('running');
    expect(resumed.devices.find((d) => d.appliance === 'dev-03')).toMatchObject({ state: 'pending', error: null });
    const done = await engine.run(id, { upgrade: fake.upgrade });
    expect(done.state).toBe('succeeded');
    expect(fleet.names.map((n) => fake.callsOf(n))).toEqual([1, 1, 2, 1, 1]);
  });

  it('a halted rollout resumed while its run still finishes an upgrade: that run goes on, since the database says so', async () => {
    const fleet = await fleetOnDisk(4);
    const { engine: agent } = await fleet.engine();
    const { engine: operator } = await fleet.engine();
    const { id } = await agent.start({ image: fleet.image.sha256, targets: 'all', waves: [2, '100%'] });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-01', 'fail');
    fake.hold(['dev-02']);
    const run = agent.run(id, { upgrade: fake.upgrade });
    await until(async () => (await operator.status(id)).state === 'halted', 'the halt');
    fake.behaviour.delete('dev-01');
    expect((await operator.resume(id)).devices[0]).toMatchObject({ appliance: 'dev-01', state: 'pending' });
    // The halted run still holds the rollout (dev-02 is upgrading): a second run may not start.
    await expect(operator.run(id, { upgrade: fake.upgrade })).rejects.toMatchObject({ code: 'busy' });
    fake.release();
    const done = await run;
    expect(done.state).toBe('succeeded');
    expect(fleet.names.map((n) => fake.callsOf(n))).toEqual([2, 1, 1, 1]);
  });

  it('refuses a second process while one runs the rollout', async () => {
    const fleet = await fleetOnDisk(2);
    const { engine: first } = await fleet.engine();
    const { engine: second } = await fleet.engine();
    const { id } = await first.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'] });
    const fake = new FakeFleet();
    fake.hold();
    const run = first.run(id, { upgrade: fake.upgrade });
    await until(() => fake.running === 2, 'upgrades under way');
    const busy = await rejection(second.run(id, { upgrade: fake.upgrade }));
    expect(busy.code).toBe('busy');
    expect(busy.message).toContain(`process ${process.pid}`);
    fake.release();
    expect((await run).state).toBe('succeeded');
    expect(fleet.names.map((n) => fake.callsOf(n))).toEqual([1, 1]);
  });

  it('tells its caller once it holds the lease, naming the stale holder it replaced; a holder that renewed first leaves it busy, untold', async () => {
    const fleet = await fleetOnDisk(1);
    const { engine, store } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'] });
    const silent = { token: 'silent', host: 'elsewhere', pid: 1, heartbeat: Date.now() };
    expect(await store.rollouts.claimRunner(id, silent, null)).toBe(true);
    const fake = new FakeFleet();
    const told: unknown[] = [];
    // Still fresh (it renewed before this run looked): refused, and nothing said.
    expect((await rejection(engine.run(id, { upgrade: fake.upgrade, onLease: (r) => told.push(r) }))).code).toBe('busy');
    expect(told).toEqual([]);
    // Silent past the lease: taken over, and the caller told whom it replaced before any upgrade.
    const done = await engine.run(id, {
      upgrade: fake.upgrade,
      lease: { leaseMs: 1, now: () => Date.now() + 60_000 },
      onLease: (r) => told.push({ replaced: r, upgradesSoFar: fake.callsOf(fleet.names[0]!) }),
    });
    expect(done.state).toBe('succeeded');
    expect(told).toEqual([{ replaced: silent, upgradesSoFar: 0 }]);
  });

  it('an upgrade between two steps when another process takes the lease: the fence refuses its next act and nothing is recorded', async () => {
    const fleet = await fleetOnDisk(3);
    const events: RolloutEvent[] = [];
    const { engine, store } = await fleet.engine((e) => events.push(e));
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'] });
    const acts: string[] = [];
    const upgrade: UpgradeOne = async (name, _image, _signal, fence) => {
      await fence();
      acts.push(`upload ${name}`);
      // As a runner frozen here (SIGSTOP) would find on waking: another process holds the rollout.
      const mine = (await store.rollouts.get(id))!.runner!;
      expect(await store.rollouts.claimRunner(id, { token: 'adopter', host: 'elsewhere', pid: 1, heartbeat: Date.now() }, mine.token)).toBe(true);
      await fence();
      acts.push(`activate ${name}`);
      return { version: '2.0.0', confirmed: true };
    };
    const lost = await rejection(engine.run(id, { upgrade, concurrency: 1 }));
    expect(lost.code).toBe('leaseLost');
    expect(acts).toEqual(['upload dev-01']);
    const after = await store.rollouts.get(id);
    expect(after).toMatchObject({ state: 'running', runner: { token: 'adopter' } });
    // Left as it was for the adopter to redo: neither failed nor succeeded by this run.
    expect((await store.rollouts.devices(id)).map((d) => d.state)).toEqual(['upgrading', 'pending', 'pending']);
    expect(events.filter((e) => e.event === 'failed' || e.event === 'succeeded')).toEqual([]);
  });

  it('checks what it is given: unknown appliances, appliances in an unfinished rollout, images not in the catalog', async () => {
    const fleet = await fleetOnDisk(3);
    const { engine } = await fleet.engine();
    const unknown = await rejection(engine.start({ image: fleet.image.sha256, targets: ['dev-01', 'edge-9', 'edge-7'] }));
    expect(unknown).toMatchObject({ code: 'unknownAppliances', appliances: ['edge-9', 'edge-7'] });
    await expect(engine.start({ image: fleet.image.sha256, targets: ['dev-01', 'dev-01'] })).rejects.toThrow(/dev-01 given more than once/);
    await expect(engine.start({ image: 'ab'.repeat(32), targets: 'all' })).rejects.toThrow(/not in the firmware catalog/);
    await expect(engine.start({ image: fleet.image.sha256, targets: 'all', deadlineMs: 0 })).rejects.toThrow(/deadline/);
    const first = await engine.start({ image: fleet.image.sha256, targets: ['dev-02'] });
    await expect(engine.start({ image: fleet.image.sha256, targets: 'all' })).rejects.toThrow(
      new RegExp(`dev-02 is already in rollout ${first.id} \\(running\\)`),
    );
    await engine.abort(first.id);
    expect((await engine.start({ image: fleet.image.sha256, targets: 'all' })).devices).toHaveLength(3);
    expect((await engine.list()).map((r) => r.state)).toEqual(['running', 'aborted']);
  });
});
