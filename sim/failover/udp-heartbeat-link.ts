/**
 * The group's network heartbeat path: one UDP socket bound to the member's heartbeat address,
 * sending each message to every peer. Peers are resolved once, at open, so a name that does not
 * resolve is an error naming it rather than a silent path. Nothing here trusts a datagram's
 * source: a relay may stand between members, and the MAC, not the address, says who sent it.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { HeartbeatLink } from '../../firmware/failover/ports.js';
import { MAX_MESSAGE_BYTES } from '../../firmware/failover/envelope.js';
import { formatHostPort } from '../snmp/options.js';

export interface HostPort {
  host: string;
  port: number;
}

/** A heartbeat address or peer that cannot be used; `flag` names the option it came from. */
export class HeartbeatLinkError extends Error {
  override readonly name = 'HeartbeatLinkError';

  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
  }
}

export class UdpHeartbeatLink implements HeartbeatLink {
  readonly name = 'udp' as const;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  /** Datagrams the socket refused to send (no route, a full buffer): a silent path, counted. */
  sendErrors = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly peers: readonly HostPort[],
  ) {
    socket.on('message', (msg) => {
      // Oversized datagrams are not failover messages; the codec would refuse them anyway.
      if (msg.length > MAX_MESSAGE_BYTES) return;
      const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      for (const l of this.listeners) l(bytes);
    });
    // ICMP port unreachable from a dead peer arrives as a socket error: a silent path, not a crash.
    socket.on('error', () => this.sendErrors++);
  }

  static async open(bind: HostPort, peers: readonly HostPort[]): Promise<UdpHeartbeatLink> {
    const resolved: HostPort[] = [];
    for (const p of peers) {
      try {
        const { address } = await lookup(p.host);
        resolved.push({ host: address, port: p.port });
      } catch (err) {
        throw new HeartbeatLinkError(
          '--peer',
          `${formatHostPort(p.host, p.port)}: cannot resolve ${p.host} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
    }
    const family = bind.host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type: family, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(
          new HeartbeatLinkError('--heartbeat', `cannot bind ${formatHostPort(bind.host, bind.port)} (${(err as NodeJS.ErrnoException).code ?? err.message})`),
        );
      });
      socket.bind({ address: bind.host, port: bind.port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        resolve();
      });
    });
    return new UdpHeartbeatLink(socket, resolved);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Uint8Array): void {
    for (const p of this.peers) {
      this.socket.send(bytes, p.port, p.host, (err) => {
        if (err) this.sendErrors++;
      });
    }
  }

  onMessage(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
