/**
 * The agent killed mid-rollout: `fulcrum rollout start … --json` over a fleet of simulated
 * appliances (`fulcrum sim fleet --serial`, real PTYs), SIGKILLed at a random moment after some
 * upgrade began, then `fulcrum rollout resume ID`. The resume must finish the rollout: every
 * appliance runs the image, confirmed; what had succeeded before the kill is never upgraded
 * again; exactly what had not succeeded is (the appliances left mid-upgrade among them).
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutEvent, RolloutStatus } from '../../../src/upgrade/rollout/index.js';
import { openStore } from '../../../src/store/index.js';
import { exited, fulcrum, fulcrumAsync, fulcrumReady, ROOT } from '../../support/cli.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';

const FLEET = 6;
const BAUD = 921_600;
type Line = (RolloutEvent & { ts: number }) | { event: 'end'; status: RolloutStatus };
type Fleet = Awaited<ReturnType<typeof fulcrumReady<{ appliances: { name: string; serial: string }[] }>>>;

export function rolloutKillCampaign(trials: { full: number; short: number }): Campaign {
  let dir = '';
  let fleet: Fleet | null = null;
  const db = () => path.join(dir, 'fulcrum.db');
  const env = () => ({ FULCRUM_HOME: path.join(dir, 'home') });
  const names = Array.from({ length: FLEET }, (_, i) => `sim-${i + 1}`);
  const rollout = (args: string[]) => fulcrumAsync(['rollout', ...args, '--db', db()], env());
  const status = async (id: number): Promise<RolloutStatus> => {
    const r = await rollout(['status', String(id), '--json']);
    ensure(r.code === 0, () => `rollout status exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as RolloutStatus;
  };

  return {
    kind: 'rollout-kill',
    about: `the agent SIGKILLed mid-rollout over ${FLEET} simulated appliances, then \`rollout resume\`: it finishes, nothing that succeeded is redone`,
    trials,
    trialTimeoutMs: 300_000,
    async setup() {
      dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rollout-kill-'));
      const keygen = fulcrum(['firmware', 'keygen', '--out', path.join(dir, 'keys')]);
      ensure(keygen.code === 0, () => `firmware keygen: ${keygen.stderr}`);
      fleet = await fulcrumReady([
        'sim',
        'fleet',
        '--count',
        String(FLEET),
        '--serial',
        '--baud',
        String(BAUD),
        '--state',
        path.join(dir, 'state'),
        '--trust-key',
        path.join(dir, 'keys', 'signing.pub'),
        '--json',
      ]);
      const store = await openStore({ file: db() });
      try {
        for (const a of fleet.ready.appliances) await store.inventory.add({ name: a.name, target: `serial:${a.serial}?baud=${BAUD}` });
      } finally {
        await store.close();
      }
    },
    async teardown() {
      if (fleet) {
        fleet.child.kill('SIGTERM');
        await exited(fleet.child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async run({ index, rng }: TrialContext): Promise<Notes> {
      // A version of its own per trial: every trial is a real upgrade of every appliance.
      const version = `2.${index + 1}.${rng.int(0, 999)}`;
      const file = path.join(dir, `v${version}.fwi`);
      const built = fulcrum([
        'firmware',
        'build',
        '--version',
        version,
        '--security-counter',
        '1',
        '--key',
        path.join(dir, 'keys', 'signing.key'),
        '--payload-size',
        `${rng.int(8, 64)}KiB`,
        '--out',
        file,
      ]);
      ensure(built.code === 0, () => `firmware build: ${built.stderr}`);
      const waves = rng.pick(['1,50%', '1,25%,100%', '2,100%', '100%', '1,2,3']);
      const concurrency = rng.int(1, 4);

      const child: ChildProcessWithoutNullStreams = spawn(
        process.execPath,
        [
          path.join(ROOT, 'bin/fulcrum.js'),
          'rollout',
          'start',
          file,
          '--targets',
          names.join(','),
          '--waves',
          waves,
          '--concurrency',
          String(concurrency),
          '--db',
          db(),
          '--json',
        ],
        { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn', ...env() } },
      );
      const lines: Line[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Line));
      const count = (event: string) => lines.filter((l) => l.event === event).length;

      // Kill after the k-th upgrade began, a random moment later.
      const k = rng.int(1, FLEET);
      const extraMs = rng.int(0, 1_500);
      for (let i = 0; i < 2_400 && count('upgrading') < k && child.exitCode === null; i++) await sleep(50);
      await sleep(extraMs);
      const finishedFirst = child.exitCode !== null;
      if (!finishedFirst) child.kill('SIGKILL');
      const end = await exited(child);
      const created = lines.find((l) => l.event === 'created') as { rollout: number } | undefined;
      ensure(created !== undefined, () => `rollout start printed no "created" event (exit ${end.code}): ${stderr}`);
      const id = created.rollout;
      if (finishedFirst) {
        ensure(end.code === 0, () => `rollout start exited ${end.code} without being killed: ${stderr}`);
        ensure((await status(id)).state === 'succeeded', 'the rollout ended, but not succeeded');
        return { 'finished before the kill': 1 };
      }

      const killed = await status(id);
      // The kill can land after the last appliance succeeded and before the process exited.
      if (killed.state === 'succeeded' && killed.devices.every((d) => d.state === 'succeeded' && d.version === version))
        return { 'finished before the kill': 1 };
      ensure(killed.state === 'running', () => `after the kill the rollout is ${killed.state}, not running`);
      const succeeded = killed.devices.filter((d) => d.state === 'succeeded');
      const inFlight = killed.devices.filter((d) => d.state === 'upgrading').map((d) => d.appliance);

      const resumed = await rollout(['resume', String(id), '--json']);
      ensure(resumed.code === 0, () => `rollout resume exited ${resumed.code}: ${resumed.stderr}`);
      const after = resumed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
      const run = after.find((l) => l.event === 'run') as { recovered: string[] } | undefined;
      ensure(
        run !== undefined && [...run.recovered].sort().join() === [...inFlight].sort().join(),
        () => `resume recovered ${JSON.stringify(run?.recovered)}, the appliances left mid-upgrade were ${JSON.stringify(inFlight)}`,
      );
      const upgraded = after
        .filter((l) => l.event === 'upgrading')
        .map((l) => (l as { appliance: string }).appliance)
        .sort();
      const notDone = killed.devices
        .filter((d) => d.state !== 'succeeded')
        .map((d) => d.appliance)
        .sort();
      ensure(
        upgraded.join() === notDone.join(),
        () => `resume upgraded ${JSON.stringify(upgraded)}, expected exactly those not done at the kill ${JSON.stringify(notDone)}`,
      );

      const done = await status(id);
      ensure(done.state === 'succeeded', () => `after resume the rollout is ${done.state}: ${done.reason ?? ''}`);
      for (const d of done.devices)
        ensure(d.state === 'succeeded' && d.version === version, () => `${d.appliance}: ${d.state} at ${d.version ?? 'no version'}`);
      for (const before of succeeded) {
        const now = done.devices.find((d) => d.appliance === before.appliance)!;
        ensure(now.finished === before.finished, () => `${before.appliance} succeeded before the kill and was upgraded again`);
      }
      // The appliances themselves, not just the database: those caught mid-upgrade, and one other.
      const look = [...new Set([...inFlight, rng.pick(names)])];
      for (const name of look) {
        const fw = await fulcrumAsync(['firmware', 'status', '--to', name, '--db', db(), '--json'], env());
        ensure(fw.code === 0, () => `firmware status --to ${name}: ${fw.stderr}`);
        const active = (JSON.parse(fw.stdout) as { active: { version: string; confirmed: boolean } }).active;
        ensure(
          active.version === version && active.confirmed,
          () => `${name} runs ${active.version}${active.confirmed ? '' : ' (not confirmed)'}, not ${version} confirmed`,
        );
      }
      return {
        'killed mid-rollout': 1,
        'left mid-upgrade': inFlight.length,
        'succeeded before the kill': succeeded.length,
        'upgraded by resume': upgraded.length,
      };
    },
  };
}
