/**
 * A simulated fleet in a child process (`fulcrum sim fleet`), so that the poller measured in
 * the bench's own process, or a peer in another, shares the machine with it as it would with
 * real appliances' agents: not its event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './report.js';

export interface RunningFleet {
  /** snmp://HOST:PORT of each appliance, in order. */
  targets: string[];
  pid: number;
  stop(): Promise<void>;
}

/** A rule table of `services` services × `backends` backends (listeners stay closed in a fleet). */
export function writeFleetRules(file: string, services: number, backends: number): string {
  const lines = ['services:'];
  for (let s = 0; s < services; s++) {
    lines.push(`  - name: svc${s}`, `    listen: 192.0.2.1:${8000 + s}`, '    backends:');
    for (let b = 0; b < backends; b++) lines.push(`      - { address: 198.51.100.${1 + s}:${9000 + b} }`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** `extra`: more `sim fleet` flags (e.g. --write-community for tests that change the appliances). */
export async function startFleet(count: number, rulesFile: string, extra: readonly string[] = []): Promise<RunningFleet> {
  const root = repoRoot();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(root, 'bin/fulcrum.js'),
      'sim',
      'fleet',
      '--count',
      String(count),
      '--snmp',
      '127.0.0.1:0',
      '--community',
      'public',
      '--rules',
      rulesFile,
      '--json',
      ...extra,
    ],
    {
      cwd: root,
      env: { ...process.env, FULCRUM_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sim fleet exited with ${code} before it was ready`)));
  });
  const ready = JSON.parse(first) as { appliances: Array<{ snmp: string }> };
  return {
    targets: ready.appliances.map((a) => `snmp://${a.snmp}`),
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resident set size of a process in MB, from /proc; null where there is none. */
export function rssMb(pid: number): number | null {
  try {
    const line = readProc(`/proc/${pid}/status`)
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function readProc(file: string): string {
  return readFileSync(file, 'utf8');
}
