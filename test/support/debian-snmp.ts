/**
 * Running Debian's Net-SNMP tools (package `snmp`) and `smilint` (package `smitools`) against the
 * simulator, for test/integration/snmp-*.test.ts. Tools run asynchronously: an agent in the test's
 * own process must keep answering while they wait.
 */

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Names objects with FULCRUM-MIB; net-snmp's bundled IETF MIBs stand in for those Debian does not ship. */
export const MIB_ARGS = ['-m', '+FULCRUM-MIB', '-M', '+docs:node_modules/net-snmp/lib/mibs'];

export const V3_USER = { name: 'ops', authKey: 'authpass-123', privKey: 'privpass-456' };
export const V3_ARGS = ['-v3', '-l', 'authPriv', '-u', V3_USER.name, '-a', 'SHA', '-A', V3_USER.authKey, '-x', 'AES', '-X', V3_USER.privKey];

const found = new Map<string, boolean>();

/** Whether `tool` is installed; prints why the tests that need it are skipped when it is not. */
export function has(tool: string): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
    found.set(tool, ok);
    if (!ok) console.warn(`skipping the tests that need ${tool}: not installed (Debian: apt-get install ${tool === 'smilint' ? 'smitools' : 'snmp'})`);
  }
  return ok;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Each run gets a persistent directory of its own: the tools rewrite `snmpapp.conf` there on every
 * exit (engine boots, v3 users), and runs in parallel over one shared file (`/var/lib/snmp` as root)
 * corrupt it — the next run then fails with "buffer too small to read octet string".
 */
export function run(tool: string, args: string[], timeoutMs = 30_000): Promise<ToolResult> {
  const persistent = mkdtempSync(path.join(tmpdir(), 'fulcrum-netsnmp-'));
  const env = { ...process.env, SMIPATH: path.join(ROOT, 'node_modules/net-snmp/lib/mibs'), SNMP_PERSISTENT_DIR: persistent };
  return new Promise((resolve) => {
    execFile(tool, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20, env }, (err, stdout, stderr) => {
      rmSync(persistent, { recursive: true, force: true });
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Line {
  type: string;
  value: string;
}

/**
 * `MODULE::name.index = TYPE: value` lines (run the tools with -OtU: plain TimeTicks, no UNITS) keyed by
 * `name.index`. Net-SNMP prints enumerations as `up(1)` and strings with a DISPLAY-HINT unquoted.
 */
export function parseWalk(stdout: string): Map<string, Line> {
  const out = new Map<string, Line>();
  for (const line of stdout.split('\n')) {
    const m = /^(?:[\w-]+::)?([\w.-]+) = (?:([\w-]+): )?(.*)$/.exec(line);
    if (m) out.set(m[1]!, { type: m[2] ?? '', value: m[3]! });
  }
  return out;
}
