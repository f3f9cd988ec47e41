/**
 * Reading configs back over a real PTY: `rules push --message`, `rules history` (who, when, the
 * comment), `rules show` of running / startup / rollback N with the config id surviving the round
 * trip through a file, and `rules rollback N` printing its plan and taking --confirm-timeout.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fulcrum, serialSim } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-readback-'));
const env = { FULCRUM_HOME: path.join(dir, 'home') };
const link = path.join(dir, 'console');
const target = `serial:${link}?baud=921600`;
const run = (...args: string[]) => fulcrum(args, undefined, env);
const ok = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Health checks, persistence, an idle timeout, Maglev with its settings, a backup and a drained backend. */
const RICH = `services:
  - name: api
    listen: 10.0.0.1:443
    algorithm: maglev
    hash-key: 5-tuple
    maglev-table-size: 251
    persistence: { type: source-ip, timeout: 10m }
    health: { type: http, path: /healthz, expect: 2xx, interval: 500ms, timeout: 250ms, rise: 3, fall: 2 }
    idle-timeout: 2m
    backends:
      - { address: 10.0.1.1:8443, weight: 3 }
      - { address: 10.0.1.2:8443, state: drain }
      - { address: 10.0.1.3:8443, backup: true, max-connections: 500 }
  - name: dns
    listen: 10.0.0.1:53
    protocol: udp
    health: { type: tcp }
    backends:
      - { address: 10.0.2.1:53 }
`;

const PLAIN = `services:
  - name: web
    listen: 10.0.0.2:80
    backends:
      - { address: 10.0.3.1:8080 }
      - { address: 10.0.3.2:8080, weight: 2 }
`;

describe('reading configs back over a serial console (real PTY)', () => {
  let sim: Awaited<ReturnType<typeof serialSim>>;
  beforeAll(async () => {
    sim = await serialSim(dir, link, write('seed.yaml', PLAIN));
  });
  afterAll(() => sim.stop());

  it('push --message, history with user, time and comment, show of each slot round-tripping its config id', () => {
    const rich = write('rich.yaml', RICH);
    const richId = ok(run('rules', 'id', rich)).trim();
    ok(run('rules', 'push', rich, '--to', target, '--message', 'maglev for api', '--allow-destructive'));

    const history = JSON.parse(ok(run('rules', 'history', '--to', target, '--json'))) as {
      history: { steps: number; configId: string; at: string | null; by: string; comment: string }[];
    };
    // Rollback 1 is the seed the sim booted with (no note); the pushed config runs with its note.
    expect(history.history[0]).toMatchObject({ steps: 1, configId: sim.ready.configId, by: '', comment: '' });

    const plain = write('plain-again.yaml', PLAIN.replace('weight: 2', 'weight: 5'));
    ok(run('rules', 'push', plain, '--to', target, '--message', 'web weight 5', '--allow-destructive'));
    const table = ok(run('rules', 'history', '--to', target));
    const me = `${userInfo().username}@${hostname()}`;
    const line = table.split('\n').find((l) => l.includes(richId.slice(0, 12)))!;
    expect(line).toMatch(/^[│|\s]*1 /);
    expect(line).toContain(me);
    expect(line).toContain('maglev for api');
    expect(line).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

    // show --rollback 1 is the rich table, in the dialect (kebab-case, durations), defaults left out.
    const shown = ok(run('rules', 'show', '--to', target, '--rollback', '1'));
    expect(shown).toContain('maglev-table-size: 251');
    expect(shown).toContain('timeout: 10m');
    expect(shown).not.toContain('weight: 1 ');
    expect(ok(run('rules', 'id', write('shown-rollback.yaml', shown))).trim()).toBe(richId);

    // Running, as YAML and as JSON: `rules id` of the file is the running id.
    const runningId = (JSON.parse(ok(run('appliance', 'info', '--to', target, '--json'))) as { configId: string }).configId;
    expect(ok(run('rules', 'id', write('running.yaml', ok(run('rules', 'show', '--to', target))))).trim()).toBe(runningId);
    expect(ok(run('rules', 'id', write('running.json', ok(run('rules', 'show', '--to', target, '--format', 'json'))))).trim()).toBe(runningId);
    expect(ok(run('rules', 'id', write('startup.yaml', ok(run('rules', 'show', '--to', target, '--startup'))))).trim()).toBe(runningId);

    // validate --json carries the table in the same dialect, so it can be fed back.
    const validated = JSON.parse(ok(run('rules', 'validate', rich, '--json'))) as { rules: unknown };
    expect(ok(run('rules', 'id', write('validated.json', JSON.stringify(validated.rules)))).trim()).toBe(richId);
  });

  it('refuses bad flags naming them, and a slot past the history as nothing to do', () => {
    const both = run('rules', 'show', '--to', target, '--startup', '--rollback', '1');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('at most one of --candidate, --startup and --rollback N');
    const format = run('rules', 'show', '--to', target, '--format', 'xml');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format');
    const past = run('rules', 'show', '--to', target, '--rollback', '9');
    expect(past.code).toBe(6);
    expect(past.stderr).toContain('no rollback 9');
    const long = run('rules', 'push', path.join(dir, 'rich.yaml'), '--to', target, '--message', 'x'.repeat(300));
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('--message');
  });

  it('rollback N prints its plan first and, with --confirm-timeout, stays pending until confirmed', () => {
    const before = (JSON.parse(ok(run('appliance', 'info', '--to', target, '--json'))) as { configId: string }).configId;
    const richId = ok(run('rules', 'id', path.join(dir, 'rich.yaml'))).trim();
    const dry = ok(run('rules', 'rollback', '1', '--to', target, '--dry-run'));
    expect(dry).toContain(`→ rollback 1 ${richId.slice(0, 12)}`);
    expect(dry).toContain('+ service api');
    expect(dry).toContain('dry run: nothing was changed');

    const out = ok(run('rules', 'rollback', '1', '--to', target, '--confirm-timeout', '5m'));
    expect(out).toContain('Plan: 2 to add, 0 to change, 1 to remove.');
    expect(out).toContain(`running ${richId}`);
    expect(out).toContain('reverts in 5m');
    const info = JSON.parse(ok(run('appliance', 'info', '--to', target, '--json'))) as { configId: string; pendingConfirm: number | null };
    expect(info.configId).toBe(richId);
    expect(info.pendingConfirm).toBeGreaterThan(0);
    ok(run('rules', 'confirm', '--to', target));
    const history = JSON.parse(ok(run('rules', 'history', '--to', target, '--json'))) as { history: { configId: string; comment: string }[] };
    expect(history.history[0]).toMatchObject({ configId: before, comment: 'web weight 5' });
  });
});
