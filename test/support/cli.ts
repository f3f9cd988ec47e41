import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/fulcrum.js');

if (!existsSync(path.join(ROOT, 'dist/cli/fulcrum.js'))) {
  throw new Error('CLI tests run the built CLI: run `npm run build` first (npm test does)');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `fulcrum ARGS` to completion. */
export function fulcrum(args: string[], input?: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, FULCRUM_LOG: 'warn', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a long-running `fulcrum ARGS` and resolves with its first stdout line parsed as JSON. */
export async function fulcrumReady<T>(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcessWithoutNullStreams; ready: T; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn', ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready: ${stderr}`)));
  });
  return { child, ready: JSON.parse(first) as T, stderr: () => stderr };
}

export function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Runs `fulcrum ARGS` without blocking this process: needed when the appliance it talks to runs
 * in this process (spawnSync would stop its event loop, and with it the appliance).
 */
export function fulcrumAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs `fulcrum ARGS` on a pseudo-terminal (stdin, stdout and stderr all a TTY, as for an
 * operator at a shell) and types `answer` and Enter once the output matches `prompt`. stdout
 * and stderr arrive mixed, as on a screen.
 */
export async function fulcrumTty(
  args: string[],
  env: Record<string, string>,
  reply: { prompt: RegExp; answer: string },
): Promise<{ code: number; output: string }> {
  const { spawn: spawnPty } = await import('node-pty');
  const child = spawnPty(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    cols: 200,
    rows: 50,
    env: { ...process.env, FULCRUM_LOG: 'warn', NO_COLOR: '1', ...env },
  });
  let output = '';
  let answered = false;
  child.onData((d) => {
    output += d;
    if (!answered && reply.prompt.test(output)) {
      answered = true;
      child.write(`${reply.answer}\r`);
    }
  });
  const code = await new Promise<number>((resolve) => child.onExit((e) => resolve(e.exitCode)));
  return { code, output: output.replaceAll('\r\n', '\n') };
}

/**
 * `fulcrum sim start` on a real PTY at `link` (921600 baud unless told, no listeners), its flash
 * in `dir/flash`, booted with the table in `seed`: the appliance the CLI's serial tests talk to.
 */
export async function serialSim(dir: string, link: string, seed: string, baud = 921_600) {
  const sim = await fulcrumReady<{ configId: string; serial: string }>([
    'sim',
    'start',
    '--rules',
    seed,
    '--state',
    path.join(dir, 'flash'),
    '--serial',
    '--serial-link',
    link,
    '--baud',
    String(baud),
    '--no-listen',
    '--json',
  ]);
  return {
    ...sim,
    stop: async () => {
      sim.child.kill('SIGTERM');
      await exited(sim.child);
    },
  };
}
