import net from 'node:net';
import { DriverError } from '../driver.js';

/**
 * Opening the TCP connection to a console server's port, for both raw and telnet links. Every
 * failure becomes a DriverError('unreachable') naming host:port and saying what happened in an
 * operator's words; nothing is ever thrown from a socket event.
 */

/** How long a connection may take to be accepted before it is given up. */
export const CONNECT_TIMEOUT_MS = 5_000;
/**
 * Idle time before TCP keepalive probes start: a console server that lost power sends no FIN,
 * and the agent would otherwise wait on a dead connection until the transport gives up.
 */
const KEEPALIVE_MS = 10_000;

/** host:port as an operator writes it (IPv6 in brackets). */
export const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export function connectSocket(host: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<net.Socket> {
  const where = hostPort(host, port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DriverError('unreachable', `${where}: no answer from the console server within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DriverError('unreachable', `${where}: ${explain(err)}`));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // From here on an error (a reset, a write after the peer left) closes the socket instead
      // of surfacing as an uncaught exception; 'close' tells the link's owner.
      socket.on('error', () => socket.destroy());
      // Frames are small and latency-bound: Nagle would hold an answer back for an ACK.
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_MS);
      resolve(socket);
    });
  });
}

function explain(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens on that port: is the console server running, and is the port right?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ECONNRESET':
      return 'the console server reset the connection';
    default:
      return err.message;
  }
}

/** Ends the connection after what was written has left; destroys it if the peer lingers. */
export function endSocket(socket: net.Socket, lingerMs = 1_000): Promise<void> {
  return new Promise((done) => {
    if (socket.destroyed) return done();
    socket.once('close', () => done());
    socket.end();
    setTimeout(() => socket.destroy(), lingerMs).unref();
  });
}

/** Retries `open` every `everyMs` for at most `forMs`, as the serial reopener does for a device. */
export function retrying<T>(open: () => Promise<T>, forMs: number, everyMs = 200): () => Promise<T> {
  return async () => {
    const deadline = Date.now() + forMs;
    let last: unknown;
    do {
      try {
        return await open();
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, everyMs));
      }
    } while (Date.now() < deadline);
    throw last instanceof Error ? last : new Error('cannot reconnect');
  };
}
