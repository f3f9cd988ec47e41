/**
 * One command over HAProxy's CLI socket (Unix or TCP): connect, send the line, read until HAProxy
 * closes the connection (non-interactive mode answers one command, then closes). One connection
 * per command keeps no state between commands, so a box that restarted between two of them is
 * never talked to on a half-dead connection.
 *
 * Invariant: resolves with the whole answer or rejects with DriverError('unreachable') naming the
 * socket and the command; never leaves a socket open.
 */

import net from 'node:net';
import { DriverError } from '../driver.js';
import { describeSocket, type SocketAddress } from './target.js';

/** A CLI answer larger than this is not one HAProxy gives for the commands the driver sends. */
const MAX_ANSWER_BYTES = 256 << 20;

export function exchange(socket: SocketAddress, command: string, timeoutMs: number): Promise<string> {
  if (/[\r\n]/.test(command)) return Promise.reject(new TypeError(`a CLI command is one line: ${JSON.stringify(command)}`));
  const where = describeSocket(socket);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const conn = socket.kind === 'unix' ? net.connect({ path: socket.path }) : net.connect({ host: socket.host, port: socket.port });
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      conn.destroy();
      reject(new DriverError('unreachable', `HAProxy at ${where}: "${command}": ${why}`));
    };
    conn.setTimeout(timeoutMs, () => fail(`no complete answer within ${timeoutMs} ms`));
    conn.once('connect', () => conn.end(`${command}\n`));
    conn.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) return fail(`the answer exceeds ${MAX_ANSWER_BYTES >> 20} MiB`);
      chunks.push(chunk);
    });
    conn.once('error', (err: NodeJS.ErrnoException) => fail(connectProblem(err, socket)));
    conn.once('close', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function connectProblem(err: NodeJS.ErrnoException, socket: SocketAddress): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such socket (is HAProxy running with -W -S on this path?)';
    case 'ECONNREFUSED':
      return socket.kind === 'unix'
        ? 'nothing listens on this socket (HAProxy stopped?)'
        : 'connection refused (is HAProxy running, with its CLI on this port?)';
    case 'EACCES':
      return 'permission denied (the agent needs read and write access to the socket)';
    default:
      return err.message;
  }
}
