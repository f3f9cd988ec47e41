/**
 * The operator mistakes `fulcrum rules push --to` refuses, against a simulated appliance on a
 * real PTY: a plan that removes most services, a confirm timeout too short to act on, a push over
 * a commit still pending confirmation, the running table pushed again, and a dry run. Every
 * refusal is checked against the appliance itself: it runs what it ran before, nothing pending.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configId } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { eventually } from '../support/api.js';
import { exited, fulcrum, fulcrumTty, serialSim } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-push-guards-'));
const env = { FULCRUM_HOME: path.join(dir, 'home') };
const link = path.join(dir, 'console');
const target = `serial:${link}?baud=921600`;
const run = (...args: string[]) => fulcrum(args, undefined, env);

/** Services named `names`, two backends each; `weight` is the first backend of svc-1. */
function tableText(names: readonly string[], weight = 1): string {
  if (names.length === 0) return 'services: []\n';
  const lines = ['services:'];
  names.forEach((name, s) => {
    lines.push(`  - name: ${name}`, `    listen: 10.1.${s}.1:80`, '    backends:');
    for (let b = 0; b < 2; b++) lines.push(`      - { address: 192.0.2.${b + 1}:${8000 + s}, weight: ${name === 'svc-1' && b === 0 ? weight : 1} }`);
  });
  return `${lines.join('\n')}\n`;
}
const ALL = ['svc-0', 'svc-1', 'svc-2', 'svc-3'];
let files = 0;
function write(text: string): string {
  const file = path.join(dir, `t${files++}.yaml`);
  writeFileSync(file, text);
  return file;
}
const idOf = (text: string) => configId(loadRules(text, 'x.yaml'));

interface Info {
  configId: string;
  pendingConfirm: number | null;
}
function info(): Info {
  const r = run('appliance', 'info', '--to', target, '--json');
  expect(r.code, r.stderr).toBe(0);
  // Only what a push may change: uptime moves on by itself.
  const { configId: id, pendingConfirm } = JSON.parse(r.stdout) as Info;
  return { configId: id, pendingConfirm };
}

describe('rules push --to refuses operator mistakes (real PTY)', () => {
  let sim: Awaited<ReturnType<typeof serialSim>>;
  beforeAll(async () => {
    const seed = write(tableText(ALL));
    sim = await serialSim(dir, link, seed);
  });
  afterAll(async () => {
    sim.child.kill('SIGTERM');
    await exited(sim.child);
  }, 60_000);

  it('services: [] would remove every service: refused (exit 3) with the plan and the reason, nothing sent', () => {
    const before = info();
    const r = run('rules', 'push', write(tableText([])), '--to', target);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain('- service svc-0 (10.1.0.1:80)');
    expect(r.stdout).toContain('Plan: 0 to add, 0 to change, 4 to remove.');
    expect(r.stderr).toMatch(/removes every service \(4 of 4\)/);
    expect(r.stderr).toContain('--allow-destructive');
    const most = run('rules', 'push', write(tableText(['svc-0'])), '--to', target, '--json');
    expect(most.code).toBe(3);
    expect(most.stderr).toMatch(/removes 3 of the 4 services/);
    expect(JSON.parse(most.stdout)).toMatchObject({ refused: 'destructivePlan', plan: { removed: [{ name: 'svc-1' }, { name: 'svc-2' }, { name: 'svc-3' }] } });
    expect(info()).toEqual(before);
  }, 60_000);

  it('on a terminal it asks instead: "n" refuses (exit 3), nothing sent', async () => {
    const before = info();
    const r = await fulcrumTty(['rules', 'push', write(tableText([])), '--to', target], env, { prompt: /\(y\/N\)/, answer: 'n' });
    expect(r.code, r.output).toBe(3);
    expect(r.output).toContain('- service svc-3');
    expect(r.output).toMatch(/removes every service \(4 of 4\).*\(y\/N\)/s);
    expect(info()).toEqual(before);
  }, 60_000);

  it('--confirm-timeout 5ms is refused (exit 2) naming the value and the minimum; --force lets a short one through', async () => {
    const before = info();
    const r = run('rules', 'push', write(tableText(ALL, 2)), '--to', target, '--confirm-timeout', '5ms');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--confirm-timeout: 5ms is too short: .*at least 10 s/);
    expect(r.stderr).toContain('--force');
    expect(info()).toEqual(before);
    const forced = run('rules', 'push', write(tableText(ALL, 2)), '--to', target, '--confirm-timeout', '1s', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    // Nobody confirms it: the appliance goes back by itself.
    await eventually(
      () => {
        const now = info();
        return now.configId === before.configId && now.pendingConfirm === null;
      },
      10_000,
      'the forced commit to revert',
    );
  }, 60_000);

  it('a push over a pending commit is refused (exit 5) naming its config and deadline; --replace-pending says what it replaced', () => {
    const pending = tableText(ALL, 3);
    const next = tableText(ALL, 4);
    expect(run('rules', 'push', write(pending), '--to', target, '--confirm-timeout', '30s').code).toBe(0);
    const r = run('rules', 'push', write(next), '--to', target);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(idOf(pending));
    expect(r.stderr).toMatch(/reverts at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ s\)/);
    expect(r.stderr).toContain('--replace-pending');
    const still = info();
    expect(still.configId).toBe(idOf(pending));
    expect(still.pendingConfirm).toBeGreaterThan(20);

    const replaced = run('rules', 'push', write(next), '--to', target, '--replace-pending');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain(`replaced the pending commit of ${idOf(pending)}`);
    expect(replaced.stdout).toMatch(/it was to revert at \d{4}-/);
    expect(info()).toMatchObject({ configId: idOf(next), pendingConfirm: null });
  }, 60_000);

  it('the table already running is a no-op: exit 0, "already running <id>", nothing committed or pending', () => {
    const text = tableText(ALL, 4);
    const r = run('rules', 'push', write(text), '--to', target, '--confirm-timeout', '30s');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`already running ${idOf(text)}`);
    expect(info()).toMatchObject({ configId: idOf(text), pendingConfirm: null });
    const j = run('rules', 'push', write(text), '--to', target, '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ unchanged: true, configId: idOf(text), previousConfigId: idOf(text), bytes: 0 });
    // Nothing went onto the history either: one step back is still the table before (weight 3).
    const back = run('rules', 'rollback', '--to', target, '--json');
    expect(JSON.parse(back.stdout)).toMatchObject({ configId: idOf(tableText(ALL, 3)) });
    expect(run('rules', 'push', write(text), '--to', target).code).toBe(0);
  }, 60_000);

  it('--dry-run prints the plan and the bytes a push would send, and sends nothing', () => {
    const before = info();
    const r = run('rules', 'push', write(tableText(ALL, 5)), '--to', target, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('~ service svc-1');
    expect(r.stdout).toMatch(/weight: 4 → 5/);
    expect(r.stdout).toMatch(/would send a patch of \d+ bytes \(the full table is \d+ bytes\)/);
    expect(r.stdout).toContain('dry run: nothing was sent');
    const j = run('rules', 'push', write(tableText(ALL, 5)), '--to', target, '--dry-run', '--json');
    const report = JSON.parse(j.stdout) as { dryRun: boolean; bytes: { full: number; patch: number }; plan: { changed: unknown[] }; runningConfigId: string };
    expect(report).toMatchObject({ dryRun: true, runningConfigId: before.configId });
    expect(report.plan.changed).toHaveLength(1);
    expect(report.bytes.patch).toBeLessThan(report.bytes.full);
    const destructive = run('rules', 'push', write(tableText([])), '--to', target, '--dry-run');
    expect(destructive.code).toBe(0);
    expect(destructive.stdout).toMatch(/removes every service .*--allow-destructive/);
    expect(info()).toEqual(before);
  }, 60_000);

  it('on a terminal, "y" goes ahead with a destructive plan', async () => {
    const text = tableText(['svc-0']);
    const r = await fulcrumTty(['rules', 'push', write(text), '--to', target], env, { prompt: /\(y\/N\)/, answer: 'y' });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`running ${idOf(text)}`);
    expect(info()).toMatchObject({ configId: idOf(text), pendingConfirm: null });
  }, 60_000);
});
