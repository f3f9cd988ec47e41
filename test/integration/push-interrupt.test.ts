/**
 * Ctrl-C in the middle of `rules push` over a slow console (a simulator at 9600 baud, as its own
 * process): the push stops, the CLI asks the appliance what it runs on a fresh connection, says
 * the running config is unchanged (naming it), and exits 130 — and the appliance indeed still
 * runs its old table. The same for `rules set-backend`, whose edit is made on the table the
 * appliance runs: interrupted while that large table is still being read, nothing was sent.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, fulcrum, serialSim } from '../support/cli.js';
import { startCli } from '../support/cli-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-push-interrupt-'));
const link = path.join(dir, 'console');
const target = `serial:${link}?baud=9600`;

/** About 20 KB of YAML: some 20 s on a 9600-baud line. */
function bigTable(): string {
  const lines = ['services:', '  - name: seed', '    listen: 127.0.0.1:1', '    backends:', '      - { address: 127.0.0.1:2 }'];
  for (let s = 0; s < 200; s++) lines.push(`  - name: svc-${s}`, `    listen: 10.1.${s}.1:80`, '    backends:', `      - { address: 192.0.2.1:${8000 + s} }`);
  return lines.join('\n');
}

describe('Ctrl-C during rules push', () => {
  let sim: Awaited<ReturnType<typeof serialSim>>;
  beforeAll(async () => {
    const seed = path.join(dir, 'seed.json');
    writeFileSync(seed, JSON.stringify({ services: [{ name: 'seed', listen: '127.0.0.1:1', backends: [{ address: '127.0.0.1:2' }] }] }));
    sim = await serialSim(dir, link, seed, 9600);
  });
  afterAll(async () => {
    sim.child.kill('SIGTERM');
    await exited(sim.child);
  });

  it('says the running config is unchanged, naming it, and exits 130', async () => {
    // The interrupt lands during the upload.
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, bigTable());
    const push = startCli(['rules', 'push', file, '--to', target, '--confirm-timeout', '5m']);
    // 3 s into an upload of some 20 s: past the plan, well before the commit.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    push.child.kill('SIGINT');
    const end = await push.exit();
    expect(end.code, push.stderr()).toBe(130);
    expect(push.stderr()).toContain(`interrupted: running config unchanged: ${sim.ready.configId}`);
    const info = JSON.parse(fulcrum(['appliance', 'info', '--to', target, '--json']).stdout) as { configId: string; pendingConfirm: number | null };
    expect(info).toMatchObject({ configId: sim.ready.configId, pendingConfirm: null });
  }, 90_000);
});

describe('Ctrl-C during rules set-backend', () => {
  const editDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-edit-interrupt-'));
  const editLink = path.join(editDir, 'console');
  const editTarget = `serial:${editLink}?baud=9600`;
  let sim: Awaited<ReturnType<typeof serialSim>>;
  beforeAll(async () => {
    const seed = path.join(editDir, 'seed.yaml');
    writeFileSync(seed, bigTable());
    sim = await serialSim(editDir, editLink, seed, 9600);
  });
  afterAll(async () => {
    sim.child.kill('SIGTERM');
    await exited(sim.child);
  });

  it('while the running table is read: says nothing changed, naming the config, and exits 130', async () => {
    const edit = startCli(['rules', 'set-backend', 'svc-7', '192.0.2.1:8007', '--to', editTarget, '--weight', '5']);
    // 3 s into reading some 20 KB at 9600 baud: the edit is not made yet.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    edit.child.kill('SIGINT');
    const end = await edit.exit();
    expect(end.code, edit.stderr()).toBe(130);
    expect(edit.stderr()).toContain(`interrupted: running config unchanged: ${sim.ready.configId}`);
    const info = JSON.parse(fulcrum(['appliance', 'info', '--to', editTarget, '--json']).stdout) as { configId: string; pendingConfirm: number | null };
    expect(info).toMatchObject({ configId: sim.ready.configId, pendingConfirm: null });
  }, 90_000);
});
