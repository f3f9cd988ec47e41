import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fulcrum, ROOT } from '../support/cli.js';

// `fulcrum rules import|export` end to end: the table on stdout, the report on stderr, and what
// comes out validates, keeps its config id through an export and back, and passes HAProxy's check.

const FIXTURES = path.join(ROOT, 'test/fixtures/interop');
const haproxy = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => spawnSync(p, ['-v']).status === 0);
if (!haproxy) console.warn('cli-interop: haproxy is not installed (apt-get install haproxy): the haproxy -c check is skipped');

describe('fulcrum rules import / export', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-interop-'));

  it('imports an HAProxy configuration: YAML on stdout that validates, the omissions on stderr with FILE:LINE', () => {
    const file = path.join(FIXTURES, 'haproxy-compose-lab.cfg');
    const r = fulcrum(['rules', 'import', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^services:/m);
    expect(r.stderr).toMatch(new RegExp(`${file.replaceAll('.', '\\.')}:\\d+: `));
    const out = path.join(dir, 'lab.yaml');
    writeFileSync(out, r.stdout);
    expect(fulcrum(['rules', 'validate', out]).code).toBe(0);
  });

  it('--strict exits 3 when something was not carried over; --out writes the table, not the report', () => {
    const out = path.join(dir, 'strict.yaml');
    const r = fulcrum(['rules', 'import', path.join(FIXTURES, 'haproxy-compose-lab.cfg'), '--strict', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--strict');
    expect(readFileSync(out, 'utf8')).toMatch(/^services:/m);
  });

  it('refuses an unknown --from and a file it cannot read, with their exit codes', () => {
    expect(fulcrum(['rules', 'import', path.join(FIXTURES, 'nginx-stream.conf'), '--from', 'squid']).code).toBe(2);
    expect(fulcrum(['rules', 'import', path.join(dir, 'missing.cfg')]).code).toBe(3);
  });

  it('a syntax error is reported as FILE:LINE:COL and exits 3', () => {
    const bad = path.join(dir, 'bad.conf');
    writeFileSync(bad, 'stream {\n  upstream u {\n    server 127.0.0.1:53;\n');
    const r = fulcrum(['rules', 'import', bad, '--from', 'nginx']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.conf:\d+:\d+/);
  });

  it('export → import gives the same config id, and the export passes haproxy -c', () => {
    const table = path.join(dir, 'kube.yaml');
    writeFileSync(table, fulcrum(['rules', 'import', path.join(FIXTURES, 'keepalived-dr-wrr.conf')]).stdout);
    const id = JSON.parse(fulcrum(['rules', 'id', table, '--json']).stdout).configId as string;
    const cfg = path.join(dir, 'out.cfg');
    const exported = fulcrum(['rules', 'export', table, '--format', 'keepalived', '--out', cfg]);
    expect(exported.code).toBe(0);
    const back = path.join(dir, 'back.yaml');
    writeFileSync(back, fulcrum(['rules', 'import', cfg, '--from', 'keepalived']).stdout);
    expect(JSON.parse(fulcrum(['rules', 'id', back, '--json']).stdout).configId).toBe(id);
    if (haproxy) {
      const h = path.join(dir, 'out.haproxy.cfg');
      expect(fulcrum(['rules', 'export', table, '--format', 'haproxy', '--out', h]).code).toBe(0);
      const check = spawnSync(haproxy, ['-c', '-f', h], { encoding: 'utf8' });
      expect(check.status, check.stderr + check.stdout).toBe(0);
    }
  });
});
