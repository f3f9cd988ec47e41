/**
 * Exports pass the real programs' own checks: `haproxy -c`, `keepalived -t`, `nginx -t` (Debian's
 * haproxy 2.6, keepalived 2.2, nginx 1.22 with libnginx-mod-stream). Inputs: the tables imported
 * from every fixture in test/fixtures/interop, and tables drawn from the rule-table arbitraries
 * (as they are, and projected onto what each format can express). Warnings count as failures:
 * a configuration the program grumbles about is not one to hand to an operator.
 *
 * nginx -t binds every listen address, so it runs in a network namespace of its own where binding
 * non-local addresses is allowed (`unshare --net`); the host's network is left alone.
 */

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/protocol/rules/canonical.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { DEBIAN_STREAM_MODULE, exportConfig, importConfig, type Format } from '../../src/interop/index.js';
import { ruleTable } from '../unit/protocol/rules/arbitraries.js';
import { forHaproxy, forKeepalived, forNginx } from '../unit/interop/expressible.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/interop');
const work = mkdtempSync(path.join(tmpdir(), 'fulcrum-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function available(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Why a format's check cannot run here, or null when it can. */
function missing(format: Format): string | null {
  switch (format) {
    case 'haproxy':
      return available('haproxy', ['-v']) ? null : 'haproxy is not installed (Debian: apt-get install haproxy)';
    case 'keepalived':
      return available('keepalived', ['--version']) ? null : 'keepalived is not installed (Debian: apt-get install keepalived)';
    case 'nginx':
      if (!available('nginx', ['-v'])) return 'nginx is not installed (Debian: apt-get install nginx)';
      if (!existsSync(DEBIAN_STREAM_MODULE)) return `the nginx stream module is not at ${DEBIAN_STREAM_MODULE} (Debian: apt-get install libnginx-mod-stream)`;
      if (!available('unshare', ['--net', 'true']))
        return 'cannot create a network namespace (unshare --net needs root or CAP_SYS_ADMIN), and nginx -t binds every listen address';
      return null;
  }
}

const SKIP = Object.fromEntries((['haproxy', 'keepalived', 'nginx'] as const).map((f) => [f, missing(f)])) as Record<Format, string | null>;
for (const [format, why] of Object.entries(SKIP)) {
  if (why !== null) console.warn(`interop-check: skipping the ${format} checks: ${why}`);
}

interface Outcome {
  code: number | null;
  output: string;
}

function exec(command: string, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

let counter = 0;

async function check(table: RuleTable, format: Format): Promise<{ outcome: Outcome; text: string }> {
  const dir = path.join(work, `${format}-${++counter}`);
  mkdtempSync(`${dir}-`);
  const runtime = mkdtempSync(`${dir}-run-`);
  const { text } = exportConfig(table, format, { runtimeDir: runtime });
  const file = path.join(runtime, `exported.${format === 'haproxy' ? 'cfg' : 'conf'}`);
  writeFileSync(file, text);
  switch (format) {
    case 'haproxy':
      return { outcome: await exec('haproxy', ['-c', '-f', file]), text };
    case 'keepalived':
      return { outcome: await exec('keepalived', ['-t', '-f', file]), text };
    case 'nginx': {
      const script = 'echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind; echo 1 > /proc/sys/net/ipv6/ip_nonlocal_bind 2>/dev/null; exec nginx -t -c "$1" -e "$2"';
      return { outcome: await exec('unshare', ['--net', 'sh', '-c', script, 'sh', file, path.join(runtime, 'error.log')]), text };
    }
  }
}

/** haproxy prints [WARNING], nginx [warn]; keepalived -t already exits non-zero on warnings. */
function expectClean({ outcome, text }: { outcome: Outcome; text: string }): void {
  const context = `${outcome.output}\n--- configuration ---\n${text}`;
  if (/^# Exported/.test(text) && !/^listen /m.test(text) && /^defaults/m.test(text)) {
    // Nothing HAProxy can hold (UDP services only): haproxy -c says so with exit code 2.
    expect(outcome.output, context).toContain('no listener');
    return;
  }
  expect(outcome.code, context).toBe(0);
  expect(outcome.output, context).not.toMatch(/\[WARNING\]|\[warn\]|\[ALERT\]/);
}

/** Fixtures with a table that has services the format can hold (keepalived-only UDP tables have none for HAProxy). */
const fixtureTables = readdirSync(FIXTURES).map((name) => ({
  name,
  table: importConfig(readFileSync(path.join(FIXTURES, name), 'utf8'), name).table,
}));

/**
 * nginx -t binds each listen address, and the kernel refuses some that generated tables hold
 * (multicast, reserved ranges) whatever the configuration says: for nginx, generated listen
 * addresses are moved to unicast test ranges, one per service, keeping family and port.
 */
function bindable(table: RuleTable): RuleTable {
  const services = table.services.map((s, i) => {
    const port = s.listen.slice(s.listen.lastIndexOf(':') + 1);
    const listen =
      s.listen.startsWith('[') && !s.listen.startsWith('[::ffff:') ? `[fd00::${(i + 1).toString(16)}]:${port}` : `198.18.${i >> 8}.${(i & 255) + 1}:${port}`;
    return { ...s, listen, backends: s.backends.filter((b) => b.address !== listen), fallback: s.fallback === listen ? null : s.fallback };
  });
  return canonicalize({ services: services.filter((s) => s.backends.length > 0) });
}

const SAMPLES = 24;
const drawn = fc.sample(ruleTable, { numRuns: SAMPLES, seed: 20_260_101 }).filter((t) => t.services.length > 0);
const PROJECTIONS: Record<Format, (t: RuleTable) => RuleTable> = { haproxy: forHaproxy, keepalived: forKeepalived, nginx: forNginx };

describe.each(['haproxy', 'keepalived', 'nginx'] as const)('%s accepts what Fulcrum exports', (format) => {
  const skipped = SKIP[format] !== null;

  describe.skipIf(skipped)(`${format} check`, () => {
    it.each(fixtureTables)('the table imported from $name', async ({ table }) => {
      expectClean(await check(table, format));
    });

    it(`${drawn.length} generated tables, as they are and within what ${format} can express`, async () => {
      const tables = drawn.flatMap((generated) => {
        const table = format === 'nginx' ? bindable(generated) : generated;
        const projected = PROJECTIONS[format](table);
        return projected.services.length > 0 ? [table, projected] : [table];
      });
      // A few checks at a time: each is a short-lived process, mostly waiting on start-up.
      for (let i = 0; i < tables.length; i += 4) {
        for (const result of await Promise.all(tables.slice(i, i + 4).map((t) => check(t, format)))) expectClean(result);
      }
    }, 180_000);

    it('the check is real: a broken export is refused', async () => {
      const table = fixtureTables.find((f) => f.table.services.length > 0)!.table;
      const { text } = exportConfig(table, format);
      const broken =
        format === 'haproxy'
          ? text.replace('balance', 'balance bogus')
          : format === 'keepalived'
            ? text.replace('lb_algo', 'lb_algox')
            : text.replace('proxy_pass', 'proxy_passx');
      const file = path.join(work, `broken-${format}.conf`);
      writeFileSync(file, broken);
      const args = format === 'haproxy' ? ['-c', '-f', file] : format === 'keepalived' ? ['-t', '-f', file] : ['-t', '-c', file];
      expect((await exec(format, args)).code).not.toBe(0);
    });
  });
});
