import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, fulcrum, serialSim } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-cli-serial-'));
const env = { FULCRUM_HOME: path.join(dir, 'home') };
const link = path.join(dir, 'console');
const target = `serial:${link}?baud=921600`;
const run = (...args: string[]) => fulcrum(args, undefined, env);
const json = <T>(r: { code: number | null; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

/** A 40-service table written as YAML, with one weight to vary. */
function writeTable(name: string, weight: number): string {
  const lines = ['services:'];
  for (let s = 0; s < 40; s++) {
    lines.push(`  - name: svc-${s}`, `    listen: 10.0.${s}.1:80`, '    algorithm: weighted-round-robin', '    backends:');
    for (let b = 0; b < 3; b++) lines.push(`      - { address: 192.0.2.${b + 1}:${8000 + s}, weight: ${s === 7 && b === 0 ? weight : 1} }`);
  }
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('fulcrum CLI over a serial console (real PTY)', () => {
  let sim: Awaited<ReturnType<typeof serialSim>>;
  beforeAll(async () => {
    const seed = path.join(dir, 'seed.json');
    writeFileSync(seed, JSON.stringify({ services: [{ name: 'seed', listen: '127.0.0.1:1', backends: [{ address: '127.0.0.1:2' }] }] }));
    sim = await serialSim(dir, link, seed);
  });
  afterAll(async () => {
    sim.child.kill('SIGTERM');
    await exited(sim.child);
  });

  it('appliance info names the running config', () => {
    const info = json<{ model: string; configId: string; pendingConfirm: number | null; uptimeSeconds: number }>(
      run('appliance', 'info', '--to', target, '--json'),
    );
    expect(info).toMatchObject({ model: 'FL-1000', configId: sim.ready.configId, pendingConfirm: null });
    expect(sim.ready.serial).toMatch(/^\/dev\/pts\/\d+$/);
  });

  it('diff, full push, then a one-weight delta push, confirm and rollback', () => {
    const first = writeTable('first.yaml', 1);
    const second = writeTable('second.yaml', 4);
    const plan = json<{ added: { name: string }[]; changed: unknown[]; removed: { name: string }[] }>(run('rules', 'diff', first, '--to', target, '--json'));
    expect(plan.added).toHaveLength(40);
    expect(plan.removed.map((r) => r.name)).toEqual(['seed']);

    // The plan removes the one service the appliance runs: refused unless the operator means it.
    const refused = run('rules', 'push', first, '--to', target);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('removes every service (1 of 1)');
    const full = json<{ mode: string; configId: string; previousConfigId: string; bytes: number }>(
      run('rules', 'push', first, '--to', target, '--json', '--allow-destructive'),
    );
    // `diff` read the running table and cached it, so even this first push goes as a patch.
    expect(full).toMatchObject({ mode: 'delta', previousConfigId: sim.ready.configId });
    expect(full.configId).toBe(run('rules', 'id', first).stdout.trim());
    expect(json<{ changed: unknown[] }>(run('rules', 'diff', first, '--to', target, '--json'))).toEqual({ added: [], changed: [], removed: [] });

    const human = run('rules', 'diff', second, '--to', target);
    expect(human.stdout).toContain('~ service svc-7');
    expect(human.stdout).toMatch(/weight: 1 → 4/);

    const delta = json<{ mode: string; bytes: number; configId: string }>(run('rules', 'push', second, '--to', target, '--json', '--confirm-timeout', '30s'));
    expect(delta.mode).toBe('delta');
    expect(delta.bytes).toBeLessThanOrEqual(128);
    expect(json<{ pendingConfirm: number }>(run('appliance', 'info', '--to', target, '--json')).pendingConfirm).toBeGreaterThan(25);
    expect(json<{ configId: string }>(run('rules', 'confirm', '--to', target, '--json'))).toEqual({ configId: delta.configId });

    const again = run('rules', 'confirm', '--to', target);
    // Nothing pending is nothing to act on (6), not a refusal (5); it names what runs.
    expect(again.code).toBe(6);
    expect(again.stderr).toContain(`nothing to confirm: no commit is pending; running ${delta.configId}`);

    expect(json<{ configId: string }>(run('rules', 'rollback', '--to', target, '--json'))).toMatchObject({ configId: full.configId });
    expect(run('rules', 'rollback', '--steps', '0', '--to', target).code).toBe(2);
  }, 60_000);

  it('counters --json reads every service', () => {
    const c = json<{ services: { name: string; connsTotal: number; backends: { address: string; state: string }[] }[] }>(
      run('counters', '--to', target, '--json'),
    );
    expect(c.services).toHaveLength(40);
    expect(c.services[0]!.backends[0]).toMatchObject({ state: 'up' });
  });

  it('exits 4 when the device is not there and 2 on a target it cannot parse', () => {
    expect(run('appliance', 'info', '--to', `serial:${path.join(dir, 'nothing-here')}`).code).toBe(4);
    expect(run('appliance', 'info', '--to', 'telnet://x').code).toBe(2);
    expect(run('appliance', 'info', '--to', 'serial:/dev/x?baud=12').code).toBe(2);
  });
});
