import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small real HTTP server used as a load-balancer backend by the demo, tests and benchmarks.
 * It answers every request with its own name, counts the connections it accepted, and can
 * be killed (all sockets reset) and brought back on the same port.
 */
export class HttpBackend {
  connections = 0;
  requests = 0;
  /** Bytes read from and written to closed connections (what a capture at the backend would count). */
  bytesReceived = 0;
  bytesSent = 0;
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(
    readonly name: string,
    readonly host = '127.0.0.1',
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  async start(port = this.boundPort): Promise<this> {
    const server = http.createServer((req, res) => {
      this.requests++;
      const body = `${this.name}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-backend': this.name });
      res.end(body);
    });
    server.keepAliveTimeout = 5_000;
    server.on('connection', (s) => {
      this.connections++;
      this.sockets.add(s);
      s.once('close', () => {
        this.sockets.delete(s);
        this.bytesReceived += s.bytesRead;
        this.bytesSent += s.bytesWritten;
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and resets every open connection, like a crashed process. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Starts `count` backends named b1..bN on ephemeral loopback ports. */
export async function startHttpBackends(count: number, prefix = 'b'): Promise<HttpBackend[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => new HttpBackend(`${prefix}${i + 1}`).start()));
}
