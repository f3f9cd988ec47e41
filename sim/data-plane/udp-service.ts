import dgram from 'node:dgram';
import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import type { EndpointText } from '../../src/protocol/rules/model.js';
import { parseEndpoint } from '../../src/protocol/rules/index.js';

interface Session {
  upstream: dgram.Socket;
  backendHost: string;
  backendPort: number;
  clientAddress: string;
  clientPort: number;
}

/**
 * One UDP virtual service. UDP has no connections, so a session is what the connection table
 * remembers: the first datagram from a client (address, port) opens a flow and a socket
 * towards the chosen backend; later datagrams find the flow and follow it; replies from the
 * backend go back to that client from the VIP; an idle session is forgotten.
 */
export class UdpService {
  private socket: dgram.Socket | null = null;
  private readonly sessions = new Map<number, Session>();

  constructor(
    private readonly core: ForwardingCore,
    public serviceIndex: number,
    private readonly listen: EndpointText,
  ) {}

  async start(): Promise<void> {
    const { host, port, family } = parseEndpoint(this.listen);
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo.address, rinfo.port));
    // A datagram socket's errors (an ICMP unreachable echoed back) must not kill the appliance.
    socket.on('error', () => undefined);
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  closeFlows(): void {
    for (const flow of [...this.sessions.keys()]) this.end(flow);
  }

  endFlows(shouldEnd: (flow: number) => boolean): void {
    for (const flow of [...this.sessions.keys()]) if (shouldEnd(flow)) this.end(flow);
  }

  /** Called by the appliance's sweeper for sessions idle past the service's idle timeout. */
  owns(flow: number): boolean {
    return this.sessions.has(flow);
  }

  end(flow: number): void {
    const session = this.sessions.get(flow);
    if (!session) return;
    this.sessions.delete(flow);
    session.upstream.close();
    if (this.core.isOpen(flow)) this.core.close(flow);
  }

  private fromClient(msg: Buffer, address: string, port: number): void {
    const now = performance.now();
    let flow = this.core.lookup(this.serviceIndex, address, port, now);
    if (flow < 0) {
      flow = this.core.open(this.serviceIndex, address, port, now);
      if (flow < 0) return;
      this.openSession(flow, address, port);
    }
    const session = this.sessions.get(flow);
    if (!session) return;
    this.core.account(flow, msg.length, 0, now);
    session.upstream.send(msg, session.backendPort, session.backendHost);
  }

  private openSession(flow: number, clientAddress: string, clientPort: number): void {
    const { host, port } = this.core.target(flow);
    const family = host.includes(':') ? 'udp6' : 'udp4';
    const upstream = dgram.createSocket(family);
    const session: Session = { upstream, backendHost: host, backendPort: port, clientAddress, clientPort };
    this.sessions.set(flow, session);
    this.core.connected(flow, 0);
    // Unconnected, so the first datagram need not wait for connect(); replies are accepted
    // only from the backend itself.
    upstream.on('message', (reply, rinfo) => {
      if (rinfo.port !== port || rinfo.address !== host) return;
      this.core.account(flow, 0, reply.length, performance.now());
      this.socket?.send(reply, session.clientPort, session.clientAddress);
    });
    upstream.on('error', () => this.end(flow));
  }
}
