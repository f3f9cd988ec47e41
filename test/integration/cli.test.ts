import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpBackends } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { exited, fulcrum, fulcrumReady, ROOT } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-cli-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

interface Ready {
  name: string;
  configId: string;
  services: { name: string; listen: string }[];
  serial: string | null;
  snmp: string | null;
}

describe('fulcrum CLI', () => {
  it('rules validate reports every error as FILE:LINE:COL path: message and exits 3', () => {
    const bad = file(
      'bad.yaml',
      `services:
  - name: web
    listen: 127.0.0.1:8080
    backends:
      - { address: 127.0.0.1:9001, weight: 3 }
      - { address: 127.0.0.1:9002, weight: 70000 }
`,
    );
    const r = fulcrum(['rules', 'validate', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${bad}:6:44 services[0].backends[1].weight: must be an integer 0..65535`);
    expect(r.stdout).toBe('');
  });

  it('rules validate --json puts the verdict on stdout either way', () => {
    const bad = file('bad2.yaml', 'services:\n  - name: web\n    listen: nowhere\n    backends: []\n');
    const r = fulcrum(['rules', 'validate', '--json', bad]);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { valid: boolean; errors: { line: number; path: string }[] };
    expect(out.valid).toBe(false);
    expect(out.errors.map((e) => e.path)).toContain('services[0].listen');
  });

  it('rules id gives the same id for the same rules written differently (YAML and JSON)', () => {
    const a = file(
      'a.yaml',
      'services:\n  - name: web\n    listen: 127.0.0.1:8080\n    backends:\n      - { address: 127.0.0.1:9001 }\n      - { address: 127.0.0.1:9002, weight: 1 }\n',
    );
    const b = file(
      'b.json',
      JSON.stringify({
        services: [
          {
            backends: [{ address: '127.0.0.1:9002' }, { address: '127.0.0.1:9001', state: 'enabled' }],
            listen: '127.0.0.1:8080',
            name: 'web',
            protocol: 'tcp',
          },
        ],
      }),
    );
    const ra = fulcrum(['rules', 'id', a]);
    const rb = fulcrum(['rules', 'id', b]);
    expect(ra.code).toBe(0);
    expect(ra.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(rb.stdout).toBe(ra.stdout);
    const c = file(
      'c.yaml',
      'services:\n  - name: web\n    listen: 127.0.0.1:8080\n    backends:\n      - { address: 127.0.0.1:9001, weight: 2 }\n      - { address: 127.0.0.1:9002 }\n',
    );
    expect(fulcrum(['rules', 'id', c]).stdout).not.toBe(ra.stdout);
  });

  it('rules schema prints a JSON Schema', () => {
    const r = fulcrum(['rules', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
    expect(schema.$schema).toContain('json-schema.org');
    expect(schema.properties).toHaveProperty('services');
  });

  it('answers --help on every command, and exits 2 on a usage error', () => {
    for (const args of [[], ['rules'], ['rules', 'validate'], ['rules', 'id'], ['rules', 'schema'], ['sim'], ['sim', 'start'], ['demo']]) {
      const r = fulcrum([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: fulcrum');
    }
    expect(fulcrum(['rules', 'validate', '--frobnicate', 'x']).code).toBe(2);
    expect(fulcrum(['nonsense']).code).toBe(2);
  });

  it('prints the root help the build stored exactly as the CLI itself prints it, for --help and -h', () => {
    const stored = createRequire(import.meta.url)(path.join(ROOT, 'dist/cli/root-help.cjs')) as string;
    // The bundle's own entry defines every command and asks commander: the help as it is now.
    const own = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/fulcrum.js'), '--help'], { encoding: 'utf8' });
    expect(own.status).toBe(0);
    expect(stored).toBe(own.stdout);
    for (const flag of ['--help', '-h']) {
      const r = fulcrum([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout, flag).toBe(own.stdout);
      expect(r.stderr, flag).toBe('');
    }
  });

  describe('sim start', () => {
    const children: { kill: () => void }[] = [];
    afterAll(() => children.forEach((c) => c.kill()));

    it('prints a ready line, carries traffic, stops cleanly on SIGTERM, and keeps its startup config across restarts', async () => {
      const backends = await startHttpBackends(2);
      const vip = await freePort();
      const rules = (weight: number) =>
        `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n      - { address: ${backends[0]!.address}, weight: ${weight} }\n      - { address: ${backends[1]!.address} }\n`;
      const first = file('first.yaml', rules(1));
      const second = file('second.yaml', rules(5));
      const state = path.join(dir, 'state');
      const firstId = fulcrum(['rules', 'id', first]).stdout.trim();

      const run1 = await fulcrumReady<Ready>(['sim', 'start', '--rules', first, '--state', state, '--name', 'edge-1', '--json']);
      children.push(run1.child);
      expect(run1.ready).toEqual({
        name: 'edge-1',
        configId: firstId,
        firmware: '1.0.0',
        services: [{ name: 'web', listen: `127.0.0.1:${vip}`, protocol: 'tcp' }],
        serial: null,
        snmp: null,
      });
      const load = await httpLoad('127.0.0.1', vip, 40, 4);
      expect(load.failed).toBe(0);
      expect(Object.fromEntries(load.byBackend)).toEqual({ b1: 20, b2: 20 });
      run1.child.kill('SIGTERM');
      expect(await exited(run1.child)).toEqual({ code: 0, signal: null });

      // The state directory already holds a config: it runs, not the new seed.
      const run2 = await fulcrumReady<Ready>(['sim', 'start', '--rules', second, '--state', state, '--name', 'edge-1', '--json']);
      children.push(run2.child);
      expect(run2.ready.configId).toBe(firstId);
      run2.child.kill('SIGINT');
      expect((await exited(run2.child)).code).toBe(0);
      await Promise.all(backends.map((b) => b.kill()));
    });

    it('--no-listen runs the management side only', async () => {
      const vip = await freePort();
      const rules = file('nolisten.yaml', `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n      - { address: 127.0.0.1:1 }\n`);
      const run = await fulcrumReady<Ready>(['sim', 'start', '--rules', rules, '--json', '--no-listen']);
      children.push(run.child);
      expect(run.ready.services).toHaveLength(1);
      const load = await httpLoad('127.0.0.1', vip, 1, 1);
      expect(load.failed).toBe(1);
      run.child.kill('SIGTERM');
      expect((await exited(run.child)).code).toBe(0);
    });

    it('fails with a clear message when a listen address is taken', async () => {
      const backends = await startHttpBackends(1);
      const rules = file('taken.yaml', `services:\n  - name: web\n    listen: ${backends[0]!.address}\n    backends:\n      - { address: 127.0.0.1:1 }\n`);
      const r = fulcrum(['sim', 'start', '--rules', rules, '--json']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`service web: cannot listen on ${backends[0]!.address}`);
      await backends[0]!.kill();
    });
  });
});
