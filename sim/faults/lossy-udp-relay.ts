import dgram from 'node:dgram';

/**
 * A UDP relay that loses a share of the datagrams each way, between SNMP managers and an agent:
 * the lossy network a poller must live with. Each client gets its own upstream socket, so the
 * agent's answers find their way back.
 */
export class LossyUdpRelay {
  dropped = 0;
  forwarded = 0;
  private socket: dgram.Socket | null = null;
  private readonly upstreams = new Map<string, dgram.Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    /** Probability of losing each datagram, each way. */
    public loss: number,
    private readonly random: () => number = Math.random,
  ) {}

  async start(host = '127.0.0.1'): Promise<string> {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    this.socket = socket;
    return `${host}:${socket.address().port}`;
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
    for (const u of this.upstreams.values()) u.close();
    this.upstreams.clear();
  }

  private pass(): boolean {
    if (this.random() < this.loss) {
      this.dropped++;
      return false;
    }
    this.forwarded++;
    return true;
  }

  private fromClient(msg: Buffer, client: dgram.RemoteInfo): void {
    const key = `${client.address}:${client.port}`;
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      upstream = dgram.createSocket('udp4');
      upstream.on('message', (reply) => {
        if (this.pass()) this.socket?.send(reply, client.port, client.address);
      });
      upstream.on('error', () => undefined);
      this.upstreams.set(key, upstream);
    }
    if (this.pass()) upstream.send(msg, this.target.port, this.target.host);
  }
}
