/**
 * One owner per console: while `fulcrum monitor` holds a serial appliance of its inventory, the
 * CLI's commands aimed at it — by inventory name or by the same device — go through the monitor
 * (its control socket in $FULCRUM_HOME/run) and answer as a direct call would, while the monitor
 * keeps polling: no poll fails and every cycle's sample is stored. --direct opens the console
 * anyway (and meets the monitor's lock); once the monitor stops, commands open it directly again.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import { openStore } from '../../src/store/index.js';
import { fulcrumAsync, type CliResult } from '../support/cli.js';
import { startCli, type CliProcess } from '../support/cli-process.js';

const key = generateSigningKey();
const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-owner-'));
const home = path.join(dir, 'home');
const env = { FULCRUM_HOME: home };
const run = (...args: string[]) => fulcrumAsync(args, env);
const json = <T>(r: CliResult): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

function table(name: string, weight: number): string {
  const file = path.join(dir, name);
  const services = Array.from({ length: 20 }, (_, s) => ({
    name: `svc-${s}`,
    listen: `10.0.${s}.1:80`,
    backends: [1, 2].map((b) => ({ address: `192.0.2.${b}:${8000 + s}`, weight: s === 3 && b === 1 ? weight : 1 })),
  }));
  writeFileSync(file, JSON.stringify({ services }));
  return file;
}

interface Cycle {
  at: number;
  polled: number;
  failed: number;
  points: number;
}

describe('one owner per console: the CLI through a running monitor', () => {
  let sim: SimulatedAppliance;
  let monitor: CliProcess;
  const device = () => `serial:${sim.line!.path}?baud=921600`;

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'held-1',
      stateDir: path.join(dir, 'state'),
      listen: false,
      trustKeys: [key.publicKey],
      serial: { baud: 921_600 },
    });
    expect((await run('appliance', 'add', 'held-1', device())).code).toBe(0);
    monitor = startCli(['monitor', '--interval', '1s', '--json'], env);
    await monitor.line(0, 30_000);
  });
  afterAll(async () => {
    if (monitor.child.exitCode === null) monitor.child.kill('SIGTERM');
    await monitor.exit();
    await sim.stop();
  });

  it('publishes itself as the owner in $FULCRUM_HOME/run, and --direct meets its lock', async () => {
    expect(readdirSync(path.join(home, 'run')).filter((f) => f.endsWith('.json'))).toEqual([`owner-${monitor.child.pid}.json`]);
    const direct = await run('appliance', 'info', '--to', 'held-1', '--direct');
    expect(direct.code).toBe(4);
    expect(direct.stderr).toMatch(/lock/i);
  });

  it('info, diff, push (by name and by device), confirm and counters go through the monitor', async () => {
    const info = json<{ configId: string; firmware: string }>(await run('appliance', 'info', '--to', 'held-1', '--json'));
    expect(info.configId).toBe(sim.readyInfo().configId);
    const first = table('first.json', 1);
    const plan = json<{ added: unknown[]; removed: unknown[] }>(await run('rules', 'diff', first, '--to', 'held-1', '--json'));
    expect(plan.added).toHaveLength(20);
    const full = json<{ configId: string; mode: string }>(await run('rules', 'push', first, '--to', 'held-1', '--allow-destructive', '--json'));
    expect(full.configId).toBe((await run('rules', 'id', first)).stdout.trim());
    expect(sim.readyInfo().configId).toBe(full.configId);
    // The same console named by its device: still the monitor's, still a patch from the cached table.
    const second = table('second.json', 5);
    const delta = json<{ configId: string; mode: string; previousConfigId: string }>(
      await run('rules', 'push', second, '--to', device(), '--confirm-timeout', '1m', '--json'),
    );
    expect(delta).toMatchObject({ mode: 'delta', previousConfigId: full.configId });
    expect(json<{ pendingConfirm: number | null }>(await run('appliance', 'info', '--to', 'held-1', '--json')).pendingConfirm).not.toBeNull();
    expect((await run('rules', 'confirm', '--to', 'held-1')).code).toBe(0);
    expect(json<{ changed: unknown[] }>(await run('rules', 'diff', second, '--to', 'held-1', '--json')).changed).toEqual([]);
    const counters = json<{ services: { name: string }[] }>(await run('counters', '--to', 'held-1', '--json'));
    expect(counters.services.map((s) => s.name)).toContain('svc-3');
  });

  it('refusals keep their exit codes through the monitor', async () => {
    writeFileSync(
      path.join(dir, 'foreign.fwi'),
      buildImage({ version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 8 * 1024 }) }, generateSigningKey()),
    );
    const refused = await run('firmware', 'upgrade', path.join(dir, 'foreign.fwi'), '--to', 'held-1');
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain('untrustedKey');
  });

  it('a firmware upgrade through the monitor: the image streams over its console, the appliance reboots into it', async () => {
    writeFileSync(
      path.join(dir, 'v2.fwi'),
      buildImage({ version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 64 * 1024 }) }, key),
    );
    const r = json<{ version?: string }>(await run('firmware', 'upgrade', path.join(dir, 'v2.fwi'), '--to', 'held-1', '--json'));
    expect(JSON.stringify(r)).toContain('2.0.0');
    expect(sim.readyInfo().firmware).toBe('2.0.0');
  });

  it('the monitor polled all along: no failed poll, a stored sample for every cycle', async () => {
    const before = monitor.lines().length;
    await monitor.line(before + 1, 30_000);
    monitor.child.kill('SIGTERM');
    expect((await monitor.exit()).code).toBe(0);
    const cycles = monitor.lines().map((l) => JSON.parse(l) as Cycle);
    expect(cycles.length).toBeGreaterThan(3);
    expect(
      cycles.filter((c) => c.failed > 0 || c.polled !== 1),
      monitor.stderr(),
    ).toEqual([]);
    const store = await openStore({ file: path.join(home, 'fulcrum.db') });
    try {
      // Services exist from the first push on: from then every cycle wrote points — but for the
      // first poll after the upgrade's reboot, which the recorder takes as a reset (sysUpTime went
      // back) and keeps as the new baseline — and a gauge of theirs has one raw sample per such
      // cycle, none of them a gap (null).
      const writing = cycles.findIndex((c) => c.points > 0);
      expect(writing).toBeGreaterThanOrEqual(0);
      const baselines = cycles.slice(writing).filter((c) => c.points === 0);
      expect(baselines.length, JSON.stringify(cycles)).toBeLessThanOrEqual(1);
      const all = await store.metrics.listSeries('held-1');
      const uptime = all.find((s) => s.kind === 'gauge') ?? all[0]!;
      const { id: _id, kind: _kind, ...key } = uptime;
      const raw = await store.metrics.query({ ...key, from: cycles[0]!.at, to: Date.now(), resolution: 'raw' });
      expect(raw?.points.length).toBe(cycles.length - writing - baselines.length);
      expect(raw?.points.filter((p) => p.value === null)).toEqual([]);
    } finally {
      await store.close();
    }
    // The owner is gone: the next command opens the console itself.
    expect(readdirSync(path.join(home, 'run')).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(json<{ firmware: string }>(await run('appliance', 'info', '--to', 'held-1', '--json')).firmware).toBe('2.0.0');
  });
});

describe('one owner per console: the CLI through a running serve', () => {
  const home2 = path.join(dir, 'home-serve');
  const env2 = { FULCRUM_HOME: home2 };
  let sim: SimulatedAppliance;

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({ name: 'held-2', stateDir: path.join(dir, 'state-2'), listen: false, serial: { baud: 921_600 } });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('a polling serve holds the console: info and a push go through it; --direct meets its lock', async () => {
    const device = `serial:${sim.line!.path}?baud=921600`;
    expect((await fulcrumAsync(['appliance', 'add', 'held-2', device], env2)).code).toBe(0);
    const serve = startCli(['serve', '--port', '0', '--poll-interval', '1s'], env2);
    try {
      await serve.line(0, 30_000);
      // The pool opens the console at the first poll; the owner record is there from the start.
      const info = JSON.parse((await fulcrumAsync(['appliance', 'info', '--to', 'held-2', '--json'], env2)).stdout) as { configId: string };
      expect(info.configId).toBe(sim.readyInfo().configId);
      const pushed = await fulcrumAsync(['rules', 'push', table('serve.json', 2), '--to', device, '--allow-destructive', '--json'], env2);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(sim.readyInfo().configId).toBe((JSON.parse(pushed.stdout) as { configId: string }).configId);
      expect((await fulcrumAsync(['appliance', 'info', '--to', 'held-2', '--direct'], env2)).code).toBe(4);
    } finally {
      serve.child.kill('SIGTERM');
      expect((await serve.exit()).code).toBe(0);
    }
    expect(readdirSync(path.join(home2, 'run')).filter((f) => f.endsWith('.json'))).toEqual([]);
  });
});
