/**
 * An agent that stops or dies mid-rollout: the devices it left `upgrading` are upgraded again by
 * the next run, the devices that succeeded never are, and its lease does not lock the rollout.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { runnerAlive, type RolloutEvent } from '../../../../src/upgrade/rollout/index.js';
import { FakeFleet, fleetOnDisk, until } from './support.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const CHILD = path.join(import.meta.dirname, 'fixtures/crash-child.ts');

describe('rollout after a crash', () => {
  it('a run stopped with devices upgrading is carried on by a new engine: those are redone, the succeeded never', async () => {
    const fleet = await fleetOnDisk(8);
    const { engine: first } = await fleet.engine();
    const { id } = await first.start({ image: fleet.image.sha256, targets: 'all', waves: [2, '100%'] });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-04', 'hang');
    fake.behaviour.set('dev-05', 'hang');
    const stop = new AbortController();
    const run = first.run(id, { upgrade: fake.upgrade, concurrency: 3, signal: stop.signal });
    await until(() => fake.callsOf('dev-08') === 1 && fake.running === 2, 'all but dev-04 and dev-05 done');

    // While it holds the rollout, nobody else may run it.
    const { engine: second } = await fleet.engine();
    await expect(second.run(id, { upgrade: fake.upgrade })).rejects.toMatchObject({ code: 'busy' });

    // Stopped (as by Ctrl-C) with its two upgrades never settling: they stay `upgrading`.
    stop.abort();
    const left = await run;
    expect(left.state).toBe('running');
    expect(left.runner).toBeNull();
    expect(left.devices.filter((d) => d.state === 'upgrading').map((d) => d.appliance)).toEqual(['dev-04', 'dev-05']);
    expect(fake.signals.get('dev-04')!.aborted).toBe(true);

    const events: RolloutEvent[] = [];
    const { engine: third } = await fleet.engine((e) => events.push(e));
    const after = new FakeFleet();
    const done = await third.run(id, { upgrade: after.upgrade });
    expect(done.state).toBe('succeeded');
    expect([...after.calls.keys()].sort()).toEqual(['dev-04', 'dev-05']);
    expect(events[0]).toEqual({ event: 'run', rollout: id, recovered: ['dev-04', 'dev-05'] });
  });

  it('an agent killed (SIGKILL) mid-rollout: the next run takes over at once and redoes only what was in flight', async () => {
    const fleet = await fleetOnDisk(6);
    const { engine, store } = await fleet.engine();
    const { id } = await engine.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'] });

    // The child succeeds 3 upgrades, then hangs in the next two (concurrency 2).
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, fleet.file, fleet.catalogDir, String(id), '3'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const seen: RolloutEvent[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => seen.push(JSON.parse(line) as RolloutEvent));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await until(
      () => (seen.filter((e) => e.event === 'succeeded').length === 3 && seen.filter((e) => e.event === 'upgrading').length === 5) || child.exitCode !== null,
      'the child agent mid-rollout',
    );
    expect(child.exitCode, stderr).toBeNull();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const killed = await engine.status(id);
    expect(killed.runner?.pid).toBe(child.pid);
    expect(killed.devices.map((d) => d.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'upgrading', 'upgrading', 'pending']);
    const finishedBefore = killed.devices.slice(0, 3).map((d) => d.finished);

    const fake = new FakeFleet();
    const done = await engine.run(id, { upgrade: fake.upgrade });
    expect(done.state).toBe('succeeded');
    expect([...fake.calls.keys()]).toEqual(['dev-04', 'dev-05', 'dev-06']);
    expect(done.devices.slice(0, 3).map((d) => d.finished)).toEqual(finishedBefore);
    expect((await store.rollouts.get(id))!.runner).toBeNull();
  });

  it('a lease holder counts as alive while its heartbeat is fresh and, on this host, its process exists', () => {
    const now = 1_000_000;
    const here = hostname();
    const fresh = { token: 't', host: here, pid: process.pid, heartbeat: now - 1_000 };
    expect(runnerAlive(fresh, now, 30_000)).toBe(true);
    expect(runnerAlive({ ...fresh, heartbeat: now - 31_000 }, now, 30_000)).toBe(false);
    // A pid that cannot exist on Linux (above pid_max): the process is gone.
    expect(runnerAlive({ ...fresh, pid: 2 ** 30 }, now, 30_000)).toBe(false);
    // Elsewhere only the heartbeat can tell.
    expect(runnerAlive({ ...fresh, host: `${here}-elsewhere`, pid: 2 ** 30 }, now, 30_000)).toBe(true);
    expect(runnerAlive({ ...fresh, host: `${here}-elsewhere`, heartbeat: now - 60_000 }, now, 30_000)).toBe(false);
  });
});
