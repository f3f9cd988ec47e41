import net from 'node:net';
import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import type { EndpointText } from '../../src/protocol/rules/model.js';
import { parseEndpoint } from '../../src/protocol/rules/index.js';
import { ReadBufferPool } from './read-buffers.js';

/** Shared by every TCP service of the process: the buffers backend sockets read into. */
const readBuffers = new ReadBufferPool();

interface FlowSockets {
  client: net.Socket;
  upstream: net.Socket | null;
  /** What the backend socket reads into; replaced when a write still holds it. */
  buffer: Buffer;
  /** A write to the client still refers to `buffer`, so the next read must go elsewhere. */
  pinned: boolean;
}

/**
 * One TCP virtual service: accepts clients on the VIP, asks the forwarding core for a
 * backend, connects, and relays bytes both ways, counting them. The client socket is paused
 * on accept, so bytes it sends before the backend answers wait in the kernel rather than in
 * our memory; a failed connect is redispatched to another backend without the client noticing.
 * The backend side, where responses (usually the bulk) come from, reads into a pooled buffer
 * rather than a fresh allocation per read.
 */
export class TcpService {
  private server: net.Server | null = null;
  private readonly flows = new Map<number, FlowSockets>();

  constructor(
    private readonly core: ForwardingCore,
    public serviceIndex: number,
    private readonly listen: EndpointText,
    public idleTimeoutMs: number,
  ) {}

  async start(): Promise<void> {
    const { host, port } = parseEndpoint(this.listen);
    const server = net.createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (c) => this.accept(c));
    server.maxConnections = Infinity;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Stops accepting; established flows carry on until `closeFlows`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  closeFlows(): void {
    for (const { client, upstream } of this.flows.values()) {
      client.destroy();
      upstream?.destroy();
    }
  }

  /** Ends the flows for which `shouldEnd(flow)` holds (their backend left the table). */
  endFlows(shouldEnd: (flow: number) => boolean): void {
    for (const [flow, { client, upstream }] of this.flows) {
      if (!shouldEnd(flow)) continue;
      client.destroy();
      upstream?.destroy();
    }
  }

  private accept(client: net.Socket): void {
    const now = performance.now();
    const flow = this.core.open(this.serviceIndex, client.remoteAddress ?? '0.0.0.0', client.remotePort ?? 0, now);
    if (flow < 0) {
      client.resetAndDestroy();
      return;
    }
    const entry: FlowSockets = { client, upstream: null, buffer: readBuffers.take(), pinned: false };
    this.flows.set(flow, entry);
    let closed = false;
    // Called once, whatever ends the flow. `released` says the core already let the flow number
    // go (every try failed): it may belong to another connection by now, so it must not be closed again.
    const finish = (released = false) => {
      if (closed) return;
      closed = true;
      this.flows.delete(flow);
      if (!released) this.core.close(flow);
      client.destroy();
      entry.upstream?.destroy();
      // Destroyed sockets read no more; a buffer still held by a write is left to the collector.
      if (!entry.pinned) readBuffers.give(entry.buffer);
    };
    client.on('error', () => finish());
    client.on('close', () => {
      // The client went away before a backend answered: nothing to relay.
      if (!entry.upstream || entry.upstream.connecting) finish();
    });
    client.setTimeout(this.idleTimeoutMs, () => finish());
    this.connect(flow, entry, finish);
  }

  private connect(flow: number, entry: FlowSockets, finish: (released?: boolean) => void): void {
    const { client } = entry;
    const { host, port } = this.core.target(flow);
    const started = performance.now();
    const core = this.core;
    const upstream = net.connect({
      host,
      port,
      noDelay: true,
      allowHalfOpen: true,
      onread: {
        // Called before each read: the flow's buffer, unless a pending write still holds it.
        buffer: () => {
          if (entry.pinned) {
            entry.pinned = false;
            entry.buffer = readBuffers.take();
          }
          return entry.buffer;
        },
        callback: (length: number, buffer: Uint8Array) => {
          core.account(flow, 0, length, performance.now());
          const more = client.write(buffer.subarray(0, length));
          // Not all of it reached the kernel: the queued write refers to this memory.
          if (client.writableLength > 0) entry.pinned = true;
          // false stops reading until the client drains (then `resume` starts it again).
          return more;
        },
      },
    });
    entry.upstream = upstream;
    const onConnectError = () => {
      upstream.destroy();
      if (client.destroyed) return finish();
      if (this.core.failed(flow, performance.now())) this.connect(flow, entry, finish);
      else {
        client.resetAndDestroy();
        finish(true);
      }
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      upstream.off('error', onConnectError);
      if (client.destroyed) return finish();
      this.core.connected(flow, performance.now() - started);
      this.relay(flow, client, upstream, finish);
    });
  }

  private relay(flow: number, client: net.Socket, upstream: net.Socket, finish: () => void): void {
    const core = this.core;
    upstream.on('error', () => finish());
    upstream.setTimeout(this.idleTimeoutMs, () => finish());
    client.on('data', (chunk: Buffer) => {
      core.account(flow, chunk.length, 0, performance.now());
      if (!upstream.write(chunk)) client.pause();
    });
    // The backend's bytes arrive through `onread` (see connect).
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    // Half-close travels across: each side's FIN becomes a FIN to the other.
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    let open = 2;
    const closedOne = () => {
      if (--open === 0) finish();
    };
    client.once('close', closedOne);
    upstream.once('close', closedOne);
    client.resume();
  }
}
