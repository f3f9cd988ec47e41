/**
 * Fleet rollouts end to end: 20 simulated appliances over their consoles (real PTYs), plus one
 * that does not trust the image's key. `fulcrum rollout start` is killed (SIGKILL) mid-rollout
 * and `fulcrum rollout resume` finishes it without redoing what succeeded; a bad appliance
 * halts a rollout before its next wave; a pause from another command stops the foreground run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutEvent, RolloutStatus } from '../../src/upgrade/rollout/index.js';
import { openStore } from '../../src/store/index.js';
import { exited, fulcrumAsync, fulcrumReady, ROOT } from '../support/cli.js';
import { buildImageFile, makeSigningKeys } from '../support/firmware-build.js';

type Ready = { name: string; serial: string };
type Line = (RolloutEvent & { ts: number }) | { event: 'end'; status: RolloutStatus };

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rollout-e2e-'));
const db = path.join(dir, 'fulcrum.db');
const env = { FULCRUM_HOME: path.join(dir, 'home') };
const names = Array.from({ length: 20 }, (_, i) => `sim-${i + 1}`);

/** `fulcrum rollout …` against this test's database. */
const rollout = (args: string[]) => fulcrumAsync(['rollout', ...args, '--db', db], env);

const status = async (id: number): Promise<RolloutStatus> => {
  const r = await rollout(['status', String(id), '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RolloutStatus;
};

/** `fulcrum rollout start … --json` as a child process, its JSON lines collected as they come. */
function startInBackground(args: string[]) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), 'rollout', 'start', ...args, '--db', db, '--json'], {
    cwd: ROOT,
    env: { ...process.env, FULCRUM_LOG: 'warn', ...env },
  });
  const lines: Line[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Line));
  return { child, lines, stderr: () => stderr };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const count = (lines: Line[], event: string) => lines.filter((l) => l.event === event).length;

describe('fulcrum rollout over 20 simulated appliances', () => {
  let fleet: Awaited<ReturnType<typeof fulcrumReady<{ appliances: Ready[] }>>>;
  let bad: Awaited<ReturnType<typeof fulcrumReady<Ready>>>;

  beforeAll(async () => {
    const keys = makeSigningKeys(dir);
    for (const version of ['2.0.0', '3.0.0']) buildImageFile(keys.key, version, path.join(dir, `v${version}.fwi`));
    fleet = await fulcrumReady([
      'sim',
      'fleet',
      '--count',
      '20',
      '--serial',
      '--baud',
      '921600',
      '--state',
      path.join(dir, 'state'),
      '--trust-key',
      keys.pub,
      '--json',
    ]);
    // The bad one trusts only its factory key: it refuses every image signed with ours.
    bad = await fulcrumReady(['sim', 'start', '--name', 'bad', '--serial', '--baud', '921600', '--no-listen', '--state', path.join(dir, 'bad'), '--json']);
    const store = await openStore({ file: db });
    try {
      for (const a of [...fleet.ready.appliances, bad.ready]) await store.inventory.add({ name: a.name, target: `serial:${a.serial}?baud=921600` });
    } finally {
      await store.close();
    }
  }, 60_000);

  afterAll(async () => {
    for (const run of [fleet, bad]) {
      if (!run) continue;
      run.child.kill('SIGTERM');
      await exited(run.child);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries on after the agent is killed mid-rollout: resume finishes it, and what succeeded is not redone', async () => {
    const run = startInBackground([path.join(dir, 'v2.0.0.fwi'), '--targets', names.join(','), '--waves', '1,25%,100%', '--concurrency', '4']);
    await until(() => count(run.lines, 'succeeded') >= 8 || run.child.exitCode !== null, 'wave 3 under way');
    expect(run.child.exitCode, run.stderr()).toBeNull();
    run.child.kill('SIGKILL');
    expect((await exited(run.child)).signal).toBe('SIGKILL');

    const first = run.lines[0]!;
    expect(first).toMatchObject({ event: 'created', version: '2.0.0', devices: 20, waveSizes: [1, 4, 15] });
    const id = (first as { rollout: number }).rollout;
    const killed = await status(id);
    expect(killed.state).toBe('running');
    expect(killed.runner?.pid).toBe(run.child.pid);
    const succeeded = killed.devices.filter((d) => d.state === 'succeeded');
    const inFlight = killed.devices.filter((d) => d.state === 'upgrading').map((d) => d.appliance);
    expect(succeeded.length).toBeGreaterThanOrEqual(8);
    expect(succeeded.length).toBeLessThan(20);
    expect(inFlight.length).toBeGreaterThan(0);

    const resumed = await rollout(['resume', String(id), '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = resumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    expect(lines[0]).toMatchObject({ event: 'run', rollout: id, recovered: inFlight });
    // Upgrades started only for what had not succeeded.
    const upgraded = lines.filter((l) => l.event === 'upgrading').map((l) => (l as { appliance: string }).appliance);
    expect(upgraded.sort()).toEqual(
      killed.devices
        .filter((d) => d.state !== 'succeeded')
        .map((d) => d.appliance)
        .sort(),
    );

    const done = await status(id);
    expect(done.state).toBe('succeeded');
    expect(done.devices.every((d) => d.state === 'succeeded' && d.version === '2.0.0')).toBe(true);
    for (const before of succeeded) expect(done.devices.find((d) => d.appliance === before.appliance)!.finished).toBe(before.finished);
    // The appliances that were mid-upgrade when the agent died run the new image, confirmed.
    for (const name of inFlight) {
      const fw = await fulcrumAsync(['firmware', 'status', '--to', name, '--db', db, '--json'], env);
      expect(fw.code, fw.stderr).toBe(0);
      expect(JSON.parse(fw.stdout).active).toMatchObject({ version: '2.0.0', confirmed: true });
    }
  }, 120_000);

  it('halts when an appliance refuses the image, before the next wave starts (exit 1, the reason given)', async () => {
    const targets = ['sim-1', 'bad', 'sim-2', 'sim-3', 'sim-4', 'sim-5'];
    const r = await rollout(['start', path.join(dir, 'v3.0.0.fwi'), '--targets', targets.join(','), '--waves', '1,3', '--max-failures', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^rollout \d+: firmware 3\.0\.0 .* to 6 appliances in 3 waves of 1, 2, 3$/);
    expect(r.stderr).toMatch(/halted: 1 device\(s\) failed, more than the 0 allowed/);
    expect(r.stderr).toMatch(/\n {2}bad: .*untrustedKey/);
    expect(r.stderr).toContain('rollout resume');
    const id = Number(/^rollout (\d+)/.exec(r.stdout)![1]);
    const s = await status(id);
    expect(s.state).toBe('halted');
    expect(s.devices.map((d) => [d.appliance, d.wave, d.state])).toEqual([
      ['sim-1', 1, 'succeeded'],
      ['bad', 2, 'failed'],
      ['sim-2', 2, 'succeeded'],
      ['sim-3', 3, 'pending'],
      ['sim-4', 3, 'pending'],
      ['sim-5', 3, 'pending'],
    ]);
    const untouched = await fulcrumAsync(['firmware', 'status', '--to', 'sim-3', '--db', db, '--json'], env);
    expect(JSON.parse(untouched.stdout).active.version).toBe('2.0.0');
    expect((await rollout(['abort', String(id)])).code).toBe(0);
  }, 120_000);

  it('a pause from another command stops the foreground run (exit 1); resume carries on to the end', async () => {
    const targets = names.slice(10);
    const run = startInBackground([path.join(dir, 'v3.0.0.fwi'), '--targets', targets.join(','), '--waves', '100%', '--concurrency', '2']);
    await until(() => count(run.lines, 'succeeded') >= 1 || run.child.exitCode !== null, 'the first upgrade');
    const id = (run.lines[0] as { rollout: number }).rollout;
    const paused = await rollout(['pause', String(id)]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`rollout ${id} paused`);
    const end = await exited(run.child);
    expect(end.code, run.stderr()).toBe(1);
    expect(run.stderr()).toContain(`rollout ${id} was paused`);
    const atPause = await status(id);
    expect(atPause.state).toBe('paused');
    expect(atPause.totals.pending).toBeGreaterThan(0);
    expect(atPause.totals.upgrading).toBe(0);

    const resumed = await rollout(['resume', String(id)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`rollout ${id} succeeded: 10 appliances run 3.0.0`);
    const list = JSON.parse((await rollout(['list', '--json'])).stdout) as RolloutStatus[];
    expect(list.map((l) => l.state)).toEqual(['succeeded', 'aborted', 'succeeded']);
  }, 120_000);
});
