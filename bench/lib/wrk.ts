/**
 * wrk, the HTTP load generator, run as a child process. A small Lua `done` hook prints its
 * summary as exact numbers (requests, bytes, microseconds, errors) rather than the rounded
 * human text.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pinned } from './processes.js';

const SUMMARY_SCRIPT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_SUMMARY %d %d %d %d %d %d %d %d\\n", summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

export interface WrkRun {
  requests: number;
  bytes: number;
  seconds: number;
  /** Socket errors (connect, read, write, timeout) plus responses other than 2xx/3xx. */
  errors: number;
  requestsPerSec: number;
  bytesPerSec: number;
}

export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  /** Send `Connection: close`: every request on a new connection. */
  close?: boolean;
  /** Run wrk on this CPU (taskset) where the machine allows. */
  cpu?: number;
  /** Folder for the Lua hook. */
  dir: string;
}

export async function wrk(options: WrkOptions): Promise<WrkRun> {
  const script = path.join(options.dir, 'wrk-summary.lua');
  writeFileSync(script, SUMMARY_SCRIPT);
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '-s', script, ...(options.close ? ['-H', 'Connection: close'] : []), options.url];
  const { command, args: full } = options.cpu === undefined ? { command: 'wrk', args } : pinned(options.cpu, 'wrk', args);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, full, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out.slice(0, 500)}`))));
  });
  const line = /^WRK_SUMMARY (.*)$/m.exec(output);
  if (!line) throw new Error(`wrk printed no summary: ${output.slice(0, 500)}`);
  const [requests, bytes, micros, connect, read, write, status, timeout] = line[1]!.split(' ').map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = micros / 1e6;
  return { requests, bytes, seconds, errors: connect + read + write + status + timeout, requestsPerSec: requests / seconds, bytesPerSec: bytes / seconds };
}
