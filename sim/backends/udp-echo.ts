import dgram from 'node:dgram';

/** A real UDP echo server that prefixes its name: a backend for UDP services. */
export class UdpEchoBackend {
  datagrams = 0;
  private socket: dgram.Socket | null = null;
  private boundPort = 0;

  constructor(
    readonly name: string,
    readonly host = '127.0.0.1',
  ) {}

  get address(): string {
    return `${this.host}:${this.boundPort}`;
  }

  async start(): Promise<this> {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      this.datagrams++;
      socket.send(Buffer.concat([Buffer.from(`${this.name}:`), msg]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, this.host, () => resolve()));
    this.boundPort = socket.address().port;
    this.socket = socket;
    return this;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
