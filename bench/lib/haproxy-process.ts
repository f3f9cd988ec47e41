/**
 * Real HAProxy processes for benchmarks and tests: Debian's `haproxy` started in master-worker
 * mode (`-W -S DIR/master.sock -f DIR/haproxy.cfg`) in a temporary directory, ready once its
 * master lists a worker; stopped (and the directory removed) by `stop()`.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const HAPROXY = process.env.FULCRUM_HAPROXY ?? 'haproxy';

export interface HaproxyBox {
  dir: string;
  config: string;
  masterSocket: string;
  /** haproxy:///DIR/master.sock?config=DIR/haproxy.cfg */
  target: string;
  /** Output HAProxy wrote so far (NOTICE and ALERT lines). */
  output(): string;
  /** A master CLI command, answered in full. */
  master(command: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts HAProxy on the configuration `configText` gives for its directory (where its sockets live too). */
export async function startHaproxy(configText: (dir: string) => string): Promise<HaproxyBox> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-haproxy-'));
  const config = path.join(dir, 'haproxy.cfg');
  const masterSocket = path.join(dir, 'master.sock');
  writeFileSync(config, configText(dir));
  const child: ChildProcess = spawn(HAPROXY, ['-W', '-S', masterSocket, '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const master = (command: string) => cli(masterSocket, command);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${output}`);
    const answer = await master('show proc').catch(() => '');
    if (/# workers\n\d+\s+worker/.test(answer)) break;
    if (Date.now() > deadline) throw new Error(`haproxy did not start within 10 s: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    config,
    masterSocket,
    // The socket path is absolute: haproxy:// + /tmp/… is the haproxy:///PATH form.
    target: `haproxy://${masterSocket}?config=${config}`,
    output: () => output,
    master,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function cli(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const c = net.connect({ path: socket }, () => c.end(`${command}\n`));
    c.setTimeout(5_000, () => c.destroy(new Error(`no answer to ${command}`)));
    c.on('data', (d: Buffer) => (answer += d.toString()));
    c.once('error', reject);
    c.once('close', () => resolve(answer));
  });
}
