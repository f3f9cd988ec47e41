/**
 * `haproxy://HOST:PORT[?…]` (HAProxy's master CLI, or a stats socket, on TCP) and
 * `haproxy:///path/to/master.sock[?…]` (the master CLI of `haproxy -W -S PATH`) → where the
 * runtime API is and which files the agent works on. Parsed in full: an unknown parameter is an
 * error, never ignored, so a misspelt `?confg=` cannot make the agent write the default file.
 */

import path from 'node:path';
import { DriverError } from '../driver.js';

/** Debian's (and most distributions') place for HAProxy's configuration. */
export const DEFAULT_CONFIG = '/etc/haproxy/haproxy.cfg';
/** The program that checks a configuration (`haproxy -c -f FILE`); looked up on the PATH. */
export const DEFAULT_PROGRAM = 'haproxy';
/** How long one runtime command may take before the box counts as unreachable. */
export const DEFAULT_TIMEOUT_MS = 5_000;

export type SocketAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface HaproxyTarget {
  socket: SocketAddress;
  /** The configuration file HAProxy was started with (`-f`): read for the running table, written by pushes. */
  config: string;
  /** The `haproxy` program that checks a configuration before it is written. */
  program: string;
  timeoutMs: number;
}

const FORMS = 'haproxy://HOST:PORT or haproxy:///path/to/master.sock, with ?config=FILE, ?haproxy=PROGRAM, ?timeout=MS';
const PARAMS = new Set(['config', 'haproxy', 'timeout']);

export function parseHaproxyTarget(target: string): HaproxyTarget {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new DriverError('badTarget', `${target}: not an HAProxy target (expected ${FORMS})`);
  }
  if (url.protocol !== 'haproxy:' || url.hash || url.username || url.password) throw new DriverError('badTarget', `${target}: expected ${FORMS}`);
  for (const key of url.searchParams.keys()) {
    if (!PARAMS.has(key)) throw new DriverError('badTarget', `${target}: unknown parameter "${key}" (known: config, haproxy, timeout)`);
  }
  const config = one(url, 'config', target) ?? DEFAULT_CONFIG;
  if (!path.isAbsolute(config)) throw new DriverError('badTarget', `${target}: config=${config} must be an absolute path`);
  const timeoutText = one(url, 'timeout', target);
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
    throw new DriverError('badTarget', `${target}: timeout=${timeoutText} must be a whole number of milliseconds, 100..600000`);
  }
  return { socket: socketOf(url, target), config: path.normalize(config), program: one(url, 'haproxy', target) ?? DEFAULT_PROGRAM, timeoutMs };
}

function socketOf(url: URL, target: string): SocketAddress {
  if (url.hostname === '') {
    const socketPath = decodeURIComponent(url.pathname);
    if (socketPath === '' || socketPath === '/') throw new DriverError('badTarget', `${target}: no socket path (expected haproxy:///path/to/master.sock)`);
    return { kind: 'unix', path: socketPath };
  }
  if (url.pathname !== '' && url.pathname !== '/') {
    throw new DriverError('badTarget', `${target}: a TCP socket takes no path (expected haproxy://HOST:PORT; a Unix socket is haproxy:///PATH)`);
  }
  // The URL parser takes 0..65535 and leaves the port empty when absent; HAProxy has no default CLI port.
  if (url.port === '' || Number(url.port) === 0) throw new DriverError('badTarget', `${target}: a TCP socket needs a port 1–65535 (haproxy://HOST:PORT)`);
  return { kind: 'tcp', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

function one(url: URL, key: string, target: string): string | undefined {
  const values = url.searchParams.getAll(key);
  if (values.length > 1) throw new DriverError('badTarget', `${target}: "${key}" is given ${values.length} times`);
  if (values.length === 1 && values[0] === '') throw new DriverError('badTarget', `${target}: "${key}" is empty`);
  return values[0];
}

/** The socket as messages name it: the path, or HOST:PORT. */
export function describeSocket(socket: SocketAddress): string {
  return socket.kind === 'unix' ? socket.path : `${socket.host.includes(':') ? `[${socket.host}]` : socket.host}:${socket.port}`;
}
