/**
 * The README's "Using it" block, run as written: every command, in order, on a fresh
 * FULCRUM_HOME, in a fresh directory. Only what would collide with other runs on this machine is
 * filled in — the fixed paths (/tmp/sim-1, /tmp/sim-1.tty, /tmp/sim-2) and ports (the SNMP
 * agent's 1161, serve's 8400, and examples/web.yaml's listen ports, in a copy) become fresh ones.
 * Lines ending in `&` run in the background until their ready line; `--watch` lines until their
 * first refresh, then Ctrl-C. A failing step fails the test naming its number and command.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sim/free-port.js';
import { ROOT } from '../support/cli.js';

/** The commands of the first sh block under "## Using it", comments dropped, in order. */
function readmeCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Using it'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no ```sh block under "## Using it"');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '');
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** What tells a background command is up: a line on stdout (sim, serve), or the monitor's first cycle. */
function isReady(command: string, line: string): boolean {
  if (/ monitor /.test(command)) return /"msg":"cycle"/.test(line);
  return line.trim() !== '';
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-readme-'));
const home = path.join(dir, 'home');
const background: Run[] = [];

function start(command: string, env: NodeJS.ProcessEnv): Run {
  // exec: the shell becomes the command, so a signal reaches it and not only the shell.
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd: dir, env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

/** Resolves once `ready(line)` holds for a line of stdout or stderr; rejects if it exits first. */
function waitFor(run: Run, ready: (line: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let partial = '';
    const onData = (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      if (lines.some(ready)) resolve();
    };
    run.child.stdout.on('data', onData);
    run.child.stderr.on('data', onData);
    run.child.once('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${run.output()}`)));
  });
}

function finished(run: Run): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return Promise.resolve({ code: run.child.exitCode, signal: run.child.signalCode });
  return new Promise((resolve) => run.child.once('exit', (code, signal) => resolve({ code, signal })));
}

afterAll(async () => {
  for (const run of background.reverse()) {
    run.child.kill('SIGTERM');
    await finished(run);
  }
});

describe('README "Using it"', () => {
  it('every command works as written, in order', async () => {
    const commands = readmeCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(commands.length).toBeGreaterThan(10);
    const [snmp, http, web, dns] = [await freeUdpPort(), await freePort(), await freePort(), await freeUdpPort()];
    mkdirSync(path.join(dir, 'examples'));
    const example = readFileSync(path.join(ROOT, 'examples/web.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'examples/web.yaml'), example.replace('127.0.0.1:8080', `127.0.0.1:${web}`).replace('127.0.0.1:5353', `127.0.0.1:${dns}`));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const fill = (c: string) =>
      c
        .replace(/^npx fulcrum /, `'${process.execPath}' '${path.join(ROOT, 'bin/fulcrum.js')}' `)
        .replaceAll('/tmp/sim-1.tty', path.join(dir, 'sim-1.tty'))
        .replaceAll('/tmp/sim-1', path.join(dir, 'sim-1'))
        .replaceAll('/tmp/sim-2', path.join(dir, 'sim-2'))
        .replaceAll('1161', String(snmp))
        .replace(/--port 8400\b/, `--port ${http}`);
    // info logs: the monitor's cycle line is how it says it is up when not on a terminal.
    const env = { ...process.env, FULCRUM_HOME: home, FULCRUM_LOG: 'info' };
    for (const [i, written] of commands.entries()) {
      const step = `README step ${i + 1} \`${written}\``;
      const backgrounded = written.endsWith('&');
      const command = fill(backgrounded ? written.slice(0, -1).trim() : written);
      expect(command, `${step}: every command is a fulcrum command`).toMatch(/bin\/fulcrum\.js' /);
      const run = start(command, env);
      if (backgrounded) {
        background.push(run);
        await waitFor(run, (line) => isReady(written, line), step);
        continue;
      }
      if (/--watch\b/.test(written)) {
        await waitFor(run, (line) => /per second|first poll/.test(line), step);
        run.child.kill('SIGINT');
        const end = await finished(run);
        expect(end.signal === 'SIGINT' || end.code === 0 || end.code === 130, `${step} did not stop on Ctrl-C:\n${run.output()}`).toBe(true);
        continue;
      }
      const end = await finished(run);
      expect(end.code, `${step} failed (exit ${end.code ?? end.signal}):\n${run.output()}`).toBe(0);
    }
    // What the block promises at its end: the rollout reached edge-1 and the store has history.
    const list = start(fill('npx fulcrum appliance list --json'), env);
    expect((await finished(list)).code).toBe(0);
    const appliances = (
      JSON.parse(
        list
          .output()
          .split('\n')
          .find((l) => l.startsWith('{'))!,
      ) as { appliances: Array<{ name: string }> }
    ).appliances;
    expect(appliances.map((a) => a.name)).toEqual(['edge-1']);
  }, 300_000);
});
