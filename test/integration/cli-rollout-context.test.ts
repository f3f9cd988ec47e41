/**
 * `fulcrum rollout start | resume --context` against a real `fulcrum serve` over simulated
 * appliances on their consoles: the image goes to the agent's catalog, the agent runs the
 * rollout, and the command follows it to its end. Each run is compared with the same command
 * on a machine of its own (its own $FULCRUM_HOME and appliances of the same names): the same
 * lines, ids and durations aside, and the same exit codes — for a success, a bad image, a
 * rollout halted by an appliance that refuses the image and its resume once the cause is
 * fixed. Ctrl-C while following leaves the rollout running on the agent.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { sha256, toHex } from '../../src/protocol/digest.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import type { RolloutStatus } from '../../src/upgrade/rollout/index.js';
import { exited, fulcrumAsync, fulcrumReady, ROOT, type CliResult } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rollout-ctx-'));
const agentEnv = { FULCRUM_HOME: path.join(dir, 'agent') };
const clientEnv = { FULCRUM_HOME: path.join(dir, 'client') };
/** The machine the remote runs are compared with: its own store, its own appliances. */
const localEnv = { FULCRUM_HOME: path.join(dir, 'local') };
const remote = (...args: string[]) => fulcrumAsync([...args, '--context', 'lab'], clientEnv);
const local = (...args: string[]) => fulcrumAsync(args, localEnv);

const key = generateSigningKey();
function imageFile(version: string, size: number): string {
  const file = path.join(dir, `fw-${version}.fwi`);
  writeFileSync(file, buildImage({ version: parseVersion(version), securityCounter: 1, payload: simulatorPayload({ simulate: [], size }) }, key));
  return file;
}

/** What differs between two runs of the same rollout: its id, how long each upgrade took, and the context its hints name. */
const normalized = (text: string) =>
  text
    .replace(/rollout \d+/g, 'rollout N')
    .replace(/\(\d+\.\d s\)/g, '(T s)')
    .replace(/ --context lab`/g, '`');
const same = (r: CliResult) => [r.code, normalized(r.stdout), normalized(r.stderr)];
const idOf = (r: CliResult) => Number(/^rollout (\d+):/.exec(r.stdout)?.[1]);

describe('fulcrum rollout start | resume with a context, as on the agent machine', () => {
  const sims: SimulatedAppliance[] = [];
  const targets = new Map<string, string>();
  let serve: Awaited<ReturnType<typeof fulcrumReady<{ url: string }>>>;
  let v2: string;

  beforeAll(async () => {
    v2 = imageFile('2.0.0', 48 * 1024);
    // Per side: two that trust the signing key, one that trusts only its factory key (it refuses
    // the image), and a trusting one the refusing name is moved to, to fix the cause.
    for (const side of ['r', 'l']) {
      for (const name of ['a', 'b', 'bad', 'fix']) {
        const sim = await SimulatedAppliance.start({
          name: `${side}-${name}`,
          stateDir: path.join(dir, `${side}-${name}`),
          listen: false,
          trustKeys: name === 'bad' ? [] : [key.publicKey],
          serial: { baud: 921_600 },
        });
        sims.push(sim);
        targets.set(`${side}-${name}`, `serial:${sim.line!.path}?baud=921600`);
      }
    }
    for (const [env, side] of [
      [agentEnv, 'r'],
      [localEnv, 'l'],
    ] as const) {
      for (const name of ['a', 'b', 'bad']) {
        const added = await fulcrumAsync(['appliance', 'add', `up-${name}`, targets.get(`${side}-${name}`)!], env);
        expect(added.code, added.stderr).toBe(0);
      }
    }
    const created = await fulcrumAsync(['token', 'create', '--role', 'admin', '--name', 'ops-rollout', '--json'], agentEnv);
    expect(created.code, created.stderr).toBe(0);
    const token = path.join(dir, 'admin.token');
    writeFileSync(token, `${(JSON.parse(created.stdout) as { token: string }).token}\n`);
    chmodSync(token, 0o600);
    serve = await fulcrumReady(['serve', '--port', '0', '--poll-interval', '1s'], agentEnv);
    const added = await fulcrumAsync(['context', 'add', 'lab', '--server', serve.ready.url, '--token-file', token], clientEnv);
    expect(added.code, added.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    if (serve) {
      serve.child.kill('SIGTERM');
      await exited(serve.child);
    }
    await Promise.all(sims.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads the image, runs the rollout on the agent to success and prints what a local run prints, exit 0', async () => {
    const args = ['rollout', 'start', v2, '--targets', 'up-a,up-b', '--waves', '1,100%'];
    const away = await remote(...args);
    const here = await local(...args);
    expect(away.code, away.stderr).toBe(0);
    expect(same(away)).toEqual(same(here));
    expect(away.stdout).toContain('wave 2: 1 appliance (up-b)');
    expect(away.stdout).toMatch(/succeeded: 2 appliances run 2\.0\.0\n$/);
    // The agent ran it, with the very image file given here.
    const status = JSON.parse((await fulcrumAsync(['rollout', 'status', String(idOf(away)), '--json'], agentEnv)).stdout) as RolloutStatus;
    expect(status.devices.map((d) => [d.appliance, d.state, d.version])).toEqual([
      ['up-a', 'succeeded', '2.0.0'],
      ['up-b', 'succeeded', '2.0.0'],
    ]);
    expect(status.image).toBe(toHex(sha256(readFileSync(v2))));
  }, 120_000);

  it('refuses a file that is not an image with the local exit code, and starts nothing', async () => {
    const junk = path.join(dir, 'junk.fwi');
    writeFileSync(junk, 'not a firmware image at all');
    const away = await remote('rollout', 'start', junk, '--targets', 'up-a');
    const here = await local('rollout', 'start', junk, '--targets', 'up-a');
    expect(away.code, away.stderr).toBe(3);
    expect(away.code).toBe(here.code);
    expect(away.stderr).toContain(junk);
    expect(JSON.parse((await remote('rollout', 'list', '--json')).stdout)).toHaveLength(1);
  });

  it('a rollout halted by an appliance that refuses the image exits as locally; resume carries it on once the cause is fixed', async () => {
    const args = ['rollout', 'start', v2, '--targets', 'up-bad'];
    const away = await remote(...args);
    const here = await local(...args);
    expect(away.code, away.stderr).toBe(1);
    expect(same(away)).toEqual(same(here));
    expect(away.stdout).toContain('up-bad: FAILED:');
    expect(away.stderr).toContain('halted');
    // What to run next names the context, so it goes to the same agent.
    expect(away.stderr).toMatch(/`fulcrum rollout resume \d+ --context lab` retries the failed appliances/);

    // The fix: the name now points at an appliance that trusts the key (the agent reads it there first).
    const moved = await remote('appliance', 'update', 'up-bad', '--target', targets.get('r-fix')!);
    expect(moved.code, moved.stderr).toBe(0);
    expect((await local('appliance', 'update', 'up-bad', '--target', targets.get('l-fix')!)).code).toBe(0);

    const resumedAway = await remote('rollout', 'resume', String(idOf(away)), '--concurrency', '2');
    const resumedHere = await local('rollout', 'resume', String(idOf(here)), '--concurrency', '2');
    expect(resumedAway.code, resumedAway.stderr).toBe(0);
    expect(same(resumedAway)).toEqual(same(resumedHere));
    expect(resumedAway.stdout).toMatch(/^rollout \d+: resumed\nrollout \d+: retrying up-bad\nrollout \d+: running\n/);
    expect(resumedAway.stdout).toContain('up-bad: succeeded, runs 2.0.0');
  }, 120_000);

  it('Ctrl-C stops following and leaves the rollout running on the agent (exit 130)', async () => {
    // Big enough that its upgrade is still under way when the interrupt comes.
    const v3 = imageFile('3.0.0', 768 * 1024);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), 'rollout', 'start', v3, '--targets', 'up-a', '--context', 'lab', '--json'], {
      cwd: ROOT,
      env: { ...process.env, FULCRUM_LOG: 'warn', ...clientEnv },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines: { event: string; rollout?: number }[] = [];
    const upgrading = new Promise<void>((resolve) =>
      createInterface({ input: child.stdout }).on('line', (l) => {
        lines.push(JSON.parse(l) as { event: string });
        if (lines.at(-1)!.event === 'upgrading') resolve();
      }),
    );
    await upgrading;
    child.kill('SIGINT');
    const { code } = await exited(child);
    const id = lines[0]!.rollout!;
    expect(lines[0]!.event).toBe('created');
    expect(code, stderr).toBe(130);
    expect(stderr).toContain(`fulcrum rollout status ${id} --context lab`);
    expect(lines.some((l) => l.event === 'end')).toBe(false);

    // Nobody follows it any more; the agent finishes it anyway.
    for (;;) {
      const s = JSON.parse((await remote('rollout', 'status', String(id), '--json')).stdout) as RolloutStatus;
      if (s.state !== 'running') {
        expect(s.state).toBe('succeeded');
        expect(s.devices[0]).toMatchObject({ appliance: 'up-a', version: '3.0.0' });
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 120_000);
});
