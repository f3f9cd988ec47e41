import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import type { DataPlanePort } from '../../firmware/ports.js';
import type { RuleTable, Service } from '../../src/protocol/rules/model.js';
import { TcpService } from './tcp-service.js';
import { UdpService } from './udp-service.js';

/** How often idle UDP sessions are looked for, and how many table slots one pass visits. */
const SWEEP_EVERY_MS = 1_000;
const SWEEP_BUDGET = 16_384;

type Listener = TcpService | UdpService;
const keyOf = (s: Pick<Service, 'protocol' | 'listen'>) => `${s.protocol} ${s.listen}`;

/**
 * The simulator's data plane: one listener per virtual service, kept in step with the running
 * rule table. A listener is identified by protocol and listen address, so a new table that
 * keeps a service's address keeps its listener (and the flows the core lets it keep).
 */
export class DataPlane implements DataPlanePort {
  private readonly listeners = new Map<string, Listener>();
  private prepared: Listener[] = [];
  private sweeper: NodeJS.Timeout;

  constructor(private readonly core: ForwardingCore) {
    // TCP flows time out on their sockets; UDP sessions and flows cut off by a new table here.
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Starts the listeners of the table that runs now (at boot). */
  async start(rules: RuleTable): Promise<void> {
    await this.prepare(rules);
    this.prepared = [];
  }

  async prepare(next: RuleTable): Promise<void> {
    const started: Listener[] = [];
    try {
      for (const [i, s] of next.services.entries()) {
        const key = keyOf(s);
        if (this.listeners.has(key)) continue;
        const listener = s.protocol === 'tcp' ? new TcpService(this.core, i, s.listen, s.idleTimeoutMs) : new UdpService(this.core, i, s.listen);
        try {
          await listener.start();
        } catch (err) {
          throw new Error(`service ${s.name}: cannot listen on ${s.listen} (${s.protocol}): ${(err as Error).message}`);
        }
        started.push(listener);
        this.listeners.set(key, listener);
      }
    } catch (err) {
      await this.drop(started);
      throw err;
    }
    this.prepared = started;
  }

  switched(next: RuleTable, endedFlows: readonly number[]): void {
    this.prepared = [];
    const wanted = new Map(next.services.map((s, i) => [keyOf(s), { s, i }]));
    const ended = new Set(endedFlows);
    for (const [key, listener] of this.listeners) {
      listener.endFlows((flow) => ended.has(flow));
      const w = wanted.get(key);
      if (w) {
        listener.serviceIndex = w.i;
        if (listener instanceof TcpService) listener.idleTimeoutMs = w.s.idleTimeoutMs;
      } else {
        this.listeners.delete(key);
        void listener.stop();
      }
    }
  }

  async abandon(_next: RuleTable): Promise<void> {
    const prepared = this.prepared;
    this.prepared = [];
    await this.drop(prepared);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.listeners.values()];
    this.listeners.clear();
    // Each stop() stops accepting at once, but a TCP server's close waits for its connections:
    // end the flows before waiting, or a stop would last as long as the longest client.
    const stopping = all.map((l) => l.stop());
    for (const l of all) l.closeFlows();
    await Promise.all(stopping);
  }

  private async drop(listeners: Listener[]): Promise<void> {
    for (const [key, l] of this.listeners) if (listeners.includes(l)) this.listeners.delete(key);
    await Promise.all(listeners.map((l) => l.stop()));
  }

  private sweep(): void {
    const udp = [...this.listeners.values()].filter((l): l is UdpService => l instanceof UdpService);
    if (udp.length === 0) return;
    this.core.sweepIdle(performance.now(), SWEEP_BUDGET, (flow) => udp.find((u) => u.owns(flow))?.end(flow));
  }
}
