/**
 * One relayed TCP connection: the client socket, the backend socket, and what the relay
 * between them needs. Invariant: `finish` runs once per flow, and after it neither socket is
 * open and the forwarding core no longer holds the flow number for this connection.
 *
 * A new connection is the unit of work the data plane is measured by (the bench's
 * Connection: close load), so per connection it allocates one Flow, one buffer-picking
 * closure and the sockets, nothing else: every event listener is a module-level function
 * that finds its flow through a property of the socket it fires on, listeners for
 * back-pressure are added only when a write is refused, and idle flows are found by the
 * service's sweep rather than a timer per socket (a socket timer is refreshed on every read
 * and write).
 */
import net from 'node:net';
import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import { ReadBufferPool } from './read-buffers.js';

/** Shared by every TCP service of the process: the buffers backend sockets read into. */
const readBuffers = new ReadBufferPool();

const FLOW = Symbol('flow');
type FlowSocket = net.Socket & { [FLOW]: Flow };

export class Flow {
  upstream: FlowSocket | null = null;
  /** What the backend socket reads into; replaced when a write still holds it. */
  buffer: Buffer = readBuffers.take();
  /** A write to the client still refers to `buffer`, so the next read must go elsewhere. */
  pinned = false;
  /** performance.now() of the last bytes either way (or of the accept): the idle sweep reads it. */
  seen: number;
  /** The backend answered and bytes are relayed; until then a closed client ends the flow. */
  relaying = false;
  /** Sockets of a relaying flow that have not closed yet. */
  open = 2;
  /** A refused write on one side holds the other side's reading until a 'drain'. */
  clientHeld = false;
  upstreamHeld = false;
  private finished = false;
  private connectStarted = 0;
  readonly client: FlowSocket;

  constructor(
    private readonly core: ForwardingCore,
    private readonly flows: Map<number, Flow>,
    readonly id: number,
    client: net.Socket,
    now: number,
  ) {
    this.seen = now;
    this.client = client as FlowSocket;
    this.client[FLOW] = this;
    client.on('error', onClientError);
    client.on('close', onClientClose);
  }

  /**
   * Called by `onread` before each read of the backend socket (without a `this`, hence a
   * closure): the flow's buffer, unless a pending write to the client still holds it.
   */
  private readonly nextBuffer = (): Buffer => {
    if (this.pinned) {
      this.pinned = false;
      this.buffer = readBuffers.take();
    }
    return this.buffer;
  };

  /** Connects to the target the core chose (again after a failed try). */
  connect(): void {
    const { host, port } = this.core.target(this.id);
    this.connectStarted = performance.now();
    const upstream = net.connect({
      host,
      port,
      noDelay: true,
      allowHalfOpen: true,
      onread: { buffer: this.nextBuffer, callback: onUpstreamRead },
    }) as FlowSocket;
    upstream[FLOW] = this;
    this.upstream = upstream;
    upstream.on('connect', onUpstreamConnect);
    upstream.on('error', onUpstreamError);
    upstream.on('close', onUpstreamClose);
  }

  /**
   * Ends the flow, whatever ended it. `released` says the core already let the flow number go
   * (every try failed): it may belong to another connection by now, so it must not be closed again.
   */
  finish(released = false): void {
    if (this.finished) return;
    this.finished = true;
    this.flows.delete(this.id);
    if (!released) this.core.close(this.id);
    this.client.destroy();
    this.upstream?.destroy();
    // Destroyed sockets read no more; a buffer still held by a write is left to the collector.
    if (!this.pinned) readBuffers.give(this.buffer);
  }

  /** The client sent bytes; they go to the backend. */
  fromClient(chunk: Buffer): void {
    const now = performance.now();
    this.seen = now;
    this.core.account(this.id, chunk.length, 0, now);
    if (!this.upstream!.write(chunk) && !this.clientHeld) {
      this.clientHeld = true;
      this.client.pause();
      this.upstream!.once('drain', onUpstreamDrain);
    }
  }

  /** The backend sent `length` bytes into `buffer`; false stops reading it until the client drains. */
  fromUpstream(length: number, buffer: Uint8Array): boolean {
    const now = performance.now();
    this.seen = now;
    this.core.account(this.id, 0, length, now);
    const client = this.client;
    const more = client.write(buffer.subarray(0, length));
    // Not all of it reached the kernel: the queued write refers to this memory.
    if (client.writableLength > 0) this.pinned = true;
    if (!more && !this.upstreamHeld) {
      this.upstreamHeld = true;
      client.once('drain', onClientDrain);
    }
    return more;
  }

  connected(upstream: FlowSocket): void {
    const client = this.client;
    if (client.destroyed) return this.finish();
    this.core.connected(this.id, performance.now() - this.connectStarted);
    this.relaying = true;
    client.on('data', onClientData);
    // Half-close travels across: each side's FIN becomes a FIN to the other.
    client.on('end', onClientEnd);
    upstream.on('end', onUpstreamEnd);
    // The backend's bytes arrive through `onread` (see connect).
    client.resume();
  }

  connectFailed(upstream: FlowSocket): void {
    upstream.destroy();
    if (this.client.destroyed) return this.finish();
    if (this.core.failed(this.id, performance.now())) this.connect();
    else {
      this.client.resetAndDestroy();
      this.finish(true);
    }
  }

  /** One of the two sockets of a relaying flow closed; the flow ends with the second. */
  closedOne(): void {
    if (--this.open === 0) this.finish();
  }
}

function onClientError(this: FlowSocket): void {
  this[FLOW].finish();
}

function onClientClose(this: FlowSocket): void {
  const flow = this[FLOW];
  // The client went away before a backend answered: nothing to relay.
  if (!flow.relaying) flow.finish();
  else flow.closedOne();
}

function onClientData(this: FlowSocket, chunk: Buffer): void {
  this[FLOW].fromClient(chunk);
}

function onClientEnd(this: FlowSocket): void {
  passFin(this[FLOW].upstream!);
}

function onClientDrain(this: FlowSocket): void {
  const flow = this[FLOW];
  flow.upstreamHeld = false;
  flow.upstream!.resume();
}

function onUpstreamRead(this: FlowSocket, length: number, buffer: Uint8Array): boolean {
  return this[FLOW].fromUpstream(length, buffer);
}

function onUpstreamConnect(this: FlowSocket): void {
  this[FLOW].connected(this);
}

// A socket replaced after a failed connect is no longer `flow.upstream`: its late events are ignored.
function onUpstreamError(this: FlowSocket): void {
  const flow = this[FLOW];
  if (this !== flow.upstream) return;
  if (flow.relaying) flow.finish();
  else flow.connectFailed(this);
}

function onUpstreamClose(this: FlowSocket): void {
  const flow = this[FLOW];
  // Before relaying, a close follows a failed connect, which its 'error' handled.
  if (this === flow.upstream && flow.relaying) flow.closedOne();
}

function onUpstreamEnd(this: FlowSocket): void {
  passFin(this[FLOW].client);
}

function onUpstreamDrain(this: FlowSocket): void {
  const flow = this[FLOW];
  flow.clientHeld = false;
  flow.client.resume();
}

/**
 * Sends a FIN on `to`, whose peer sent one before. When `to` has nothing queued and its own
 * input has ended, closing it sends the same FIN (the kernel still delivers what it holds) and
 * saves the shutdown request and its callbacks: the common case of a Connection: close flow.
 */
function passFin(to: net.Socket): void {
  if (to.readableEnded && to.writableLength === 0) to.destroy();
  else to.end();
}
