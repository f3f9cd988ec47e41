import net from 'node:net';
import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import type { EndpointText } from '../../src/protocol/rules/model.js';
import { parseEndpoint } from '../../src/protocol/rules/index.js';
import { Flow } from './tcp-flow.js';

/**
 * How often flows are checked for idleness. The shortest idle timeout a rule table may set is
 * 1 s, so a flow ends at most a quarter of its timeout late.
 */
const SWEEP_EVERY_MS = 250;

/**
 * One TCP virtual service: accepts clients on the VIP, asks the forwarding core for a
 * backend, connects, and relays bytes both ways, counting them. The client socket is paused
 * on accept, so bytes it sends before the backend answers wait in the kernel rather than in
 * our memory; a failed connect is redispatched to another backend without the client noticing.
 * The backend side, where responses (usually the bulk) come from, reads into a pooled buffer
 * rather than a fresh allocation per read (see tcp-flow.ts for the per-connection work). A flow
 * with no bytes either way for `idleTimeoutMs` is ended by one sweep over the service's flows.
 */
export class TcpService {
  private server: net.Server | null = null;
  private readonly flows = new Map<number, Flow>();
  /** Runs while the service has flows. */
  private sweeper: NodeJS.Timeout | null = null;

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
    const id = this.core.open(this.serviceIndex, client.remoteAddress ?? '0.0.0.0', client.remotePort ?? 0, now);
    if (id < 0) {
      client.resetAndDestroy();
      return;
    }
    const flow = new Flow(this.core, this.flows, id, client, now);
    this.flows.set(id, flow);
    if (this.sweeper === null) {
      this.sweeper = setInterval(this.sweep, SWEEP_EVERY_MS);
      this.sweeper.unref();
    }
    flow.connect();
  }

  /** Ends the flows idle past the timeout; stops once there are none, until the next accept. */
  private readonly sweep = (): void => {
    const idleBefore = performance.now() - this.idleTimeoutMs;
    // Deleting the entry being visited (finish does) is safe while iterating a Map.
    for (const flow of this.flows.values()) if (flow.seen < idleBefore) flow.finish();
    if (this.flows.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  };
}
