/**
 * A long-running `fulcrum …` (monitor, serve) as its own process, for tests that run two of them
 * against one store: stdout lines as they come, stderr so far, the exit. The CLI is the built one
 * (test/support/cli.ts checks that it exists).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './cli.js';

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far. */
  lines(): string[];
  /** Resolves with stdout line number `index` (0-based) once printed; rejects on exit or timeout. */
  line(index: number, timeoutMs?: number): Promise<string>;
  stderr(): string;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), ...args], { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn', ...env } });
  const out: string[] = [];
  let err = '';
  const waiting: Array<() => void> = [];
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout }).on('line', (l) => {
    out.push(l);
    for (const w of waiting.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiting.splice(0)) w();
  });
  return {
    child,
    lines: () => [...out],
    stderr: () => err,
    exit: () => exited,
    line(index, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no stdout line ${index} within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        const check = () => {
          if (out.length > index) {
            clearTimeout(timer);
            resolve(out[index]!);
          } else if (done) {
            clearTimeout(timer);
            reject(new Error(`exited before stdout line ${index}; stderr: ${err}`));
          } else waiting.push(check);
        };
        check();
      });
    },
  };
}
