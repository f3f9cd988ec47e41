/**
 * Debian's ser2net (4.x) as the console server in front of a simulated appliance's PTY, for the
 * tests and the benchmark: one raw TCP and one telnet(rfc2217) accepter on the same device, in
 * the foreground, ports from the OS unless given (a restart keeps them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/** Whether ser2net can be run here (Debian puts it in /usr/sbin, often not on a user's PATH). */
export const hasSer2net = (): boolean => spawnSync('sh', ['-c', 'command -v ser2net']).status === 0;

export interface Ser2net {
  rawPort: number;
  telnetPort: number;
  log: () => string;
}

/**
 * ser2net in the foreground with a raw and a telnet(rfc2217) port on `device`, ports from the OS.
 * A port the OS said was free can be taken by another process before ser2net binds it: with
 * ports of its own choosing it tries again on fresh ones (given ports are kept, as a restart needs).
 */
export async function startSer2net(
  device: string,
  options: { baud: number; ports?: { rawPort: number; telnetPort: number } },
): Promise<Ser2net & { stop: () => Promise<void> }> {
  if (options.ports) return startOn(device, options.baud, options.ports);
  for (let attempt = 1; ; attempt++) {
    const rawPort = await freePort();
    let telnetPort = await freePort();
    while (telnetPort === rawPort) telnetPort = await freePort();
    try {
      return await startOn(device, options.baud, { rawPort, telnetPort });
    } catch (err) {
      if (attempt >= 3 || !/already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOn(device: string, baud: number, ports: { rawPort: number; telnetPort: number }): Promise<Ser2net & { stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-ser2net-'));
  const { rawPort, telnetPort } = ports;
  const connector = `serialdev,${device},${baud}n81,local`;
  const file = path.join(dir, 'ser2net.yaml');
  writeFileSync(
    file,
    [
      'connection: &raw',
      `  accepter: tcp,127.0.0.1,${rawPort}`,
      `  connector: ${connector}`,
      '  options:',
      '    kickolduser: true',
      'connection: &rfc2217',
      `  accepter: telnet(rfc2217),tcp,127.0.0.1,${telnetPort}`,
      `  connector: ${connector}`,
      '  options:',
      '    kickolduser: true',
      '',
    ].join('\n'),
  );
  // -u: no UUCP lock files, which a killed run would leave behind in /var/lock.
  const child = spawn('ser2net', ['-n', '-d', '-u', '-P', path.join(dir, 'ser2net.pid'), '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const end = async () => {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of [rawPort, telnetPort]) await listening(port, child, () => output);
  } catch (err) {
    await end();
    throw err;
  }
  return { rawPort, telnetPort, log: () => output, stop: end };
}

/**
 * Waits until ser2net listens on `port`, seen as the port being taken (binding it fails), not
 * by connecting: a connection makes ser2net open the device, and that session, still winding
 * down, would collide with the test's own on the other accepter (kickolduser acts per accepter).
 */
async function listening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ser2net exited with ${child.exitCode}:\n${log()}`);
    const taken = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (taken) return;
    if (Date.now() > deadline) throw new Error(`ser2net does not listen on ${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill('SIGTERM');
  });
}
