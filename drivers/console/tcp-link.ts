import type net from 'node:net';
import type { ByteLink } from '../serial/transport.js';
import { connectSocket, endSocket, retrying } from './socket.js';

/**
 * A console server's raw TCP port (ser2net `accepter: tcp,…`, Opengear/Lantronix "raw") as a
 * ByteLink: the bytes on the socket are the bytes on the serial line, both ways, untouched. The
 * line's settings are the console server's own configuration; nothing here can change them.
 */

export interface TcpLinkOptions {
  connectTimeoutMs?: number;
}

export async function openTcpLink(host: string, port: number, opts: TcpLinkOptions = {}): Promise<ByteLink> {
  return socketLink(await connectSocket(host, port, opts.connectTimeoutMs));
}

/** Reconnects a raw link that went away, every `everyMs`, for at most `forMs`. */
export function tcpReopener(host: string, port: number, forMs: number, opts: TcpLinkOptions = {}, everyMs = 200): () => Promise<ByteLink> {
  return retrying(() => openTcpLink(host, port, opts), forMs, everyMs);
}

/** The ByteLink over an open, error-guarded socket. */
export function socketLink(socket: net.Socket): ByteLink {
  return {
    write: (bytes) => {
      // After the peer left, bytes have nowhere to go: 'close' has told (or will tell) the owner.
      if (!socket.destroyed && socket.writable) socket.write(bytes);
    },
    onData: (listener) => void socket.on('data', (d: Buffer) => listener(d)),
    onClose: (listener) => {
      // A listener that arrives after the end still hears of it.
      if (socket.closed) queueMicrotask(listener);
      else socket.on('close', () => listener());
    },
    close: () => endSocket(socket),
  };
}
