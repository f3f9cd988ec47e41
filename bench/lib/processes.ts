/**
 * Child processes for benches that measure servers from outside: tools on the PATH, CPU
 * pinning, readiness, and the CPU time a process used (from /proc).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';

export function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Whether processes can be pinned to this CPU: the machine has it and `taskset` is there. */
export function canPin(cpu: number): boolean {
  return cpus().length > cpu && has('taskset');
}

/** `taskset -c CPU` before a command where it can be pinned, else the command as it is. */
export function pinned(cpu: number, command: string, args: string[]): { command: string; args: string[] } {
  return canPin(cpu) ? { command: 'taskset', args: ['-c', String(cpu), command, ...args] } : { command, args };
}

/** Spawns a child and resolves with its first line of stdout; rejects if it exits first. */
export async function spawnUntilLine(command: string, args: string[], options: SpawnOptions = {}): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code} before it was ready`)));
  });
  return { child, line };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let ticksPerSecond: number | null = null;

/** User + system CPU seconds a process has used so far, from /proc; null where there is none. */
export function cpuSeconds(pid: number): number | null {
  try {
    ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}
