import { Appliance, type ApplianceEvent } from '../firmware/appliance.js';
import type { RuleTable } from '../src/protocol/rules/model.js';
import { TcpService } from './data-plane/tcp-service.js';
import { UdpService } from './data-plane/udp-service.js';
import { nodeClock } from './ports/node-clock.js';
import { nodeHealthProbe } from './ports/node-health-probe.js';
import { MemoryStorage, StateDir } from './ports/state-dir.js';

export const SIM_FIRMWARE_VERSION = '1.0.0';
/** How often idle flows are looked for, and how many table slots one pass visits. */
const SWEEP_EVERY_MS = 1_000;
const SWEEP_BUDGET = 16_384;

export interface SimulatedApplianceOptions {
  name: string;
  /** Seeds a fresh appliance; a stored startup config wins over it. */
  rules?: RuleTable;
  /** Directory standing in for the appliance's flash; without it nothing survives a restart. */
  stateDir?: string;
  /** false: management side only, no listeners (huge tables, fleets). */
  listen?: boolean;
  firmwareVersion?: string;
  maxFlows?: number;
}

/** The line a started simulator prints, so scripts and tests know where to reach it. */
export interface ReadyInfo {
  name: string;
  configId: string;
  services: { name: string; listen: string; protocol: string }[];
  serial: string | null;
  snmp: string | null;
}

type DataPlaneService = TcpService | UdpService;

/**
 * A software appliance: the firmware hosted on Node, with real sockets for its data plane and
 * a directory for its flash.
 */
export class SimulatedAppliance {
  private services: DataPlaneService[] = [];
  private sweeper: NodeJS.Timeout | null = null;

  private constructor(
    readonly name: string,
    readonly appliance: Appliance,
  ) {}

  static async start(options: SimulatedApplianceOptions): Promise<SimulatedAppliance> {
    const storage = options.stateDir ? new StateDir(options.stateDir) : new MemoryStorage();
    const appliance = await Appliance.boot({
      clock: nodeClock,
      storage,
      probe: nodeHealthProbe,
      random: Math.random,
      firmwareVersion: options.firmwareVersion ?? SIM_FIRMWARE_VERSION,
      ...(options.rules ? { seedRules: options.rules } : {}),
      ...(options.maxFlows ? { maxFlows: options.maxFlows } : {}),
    });
    const sim = new SimulatedAppliance(options.name, appliance);
    if (options.listen !== false) {
      try {
        await sim.startDataPlane();
      } catch (err) {
        await sim.stop();
        throw err;
      }
    }
    return sim;
  }

  readyInfo(): ReadyInfo {
    return {
      name: this.name,
      configId: this.appliance.configId,
      services: this.appliance.rules.services.map((s) => ({ name: s.name, listen: s.listen, protocol: s.protocol })),
      serial: null,
      snmp: null,
    };
  }

  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    return this.appliance.onEvent(listener);
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.appliance.stop();
    const services = this.services;
    this.services = [];
    await Promise.all(services.map((s) => s.stop()));
    for (const s of services) s.closeFlows();
  }

  private async startDataPlane(): Promise<void> {
    const core = this.appliance.core;
    for (const [i, s] of this.appliance.rules.services.entries()) {
      const service = s.protocol === 'tcp' ? new TcpService(core, i, s.listen, s.idleTimeoutMs) : new UdpService(core, i, s.listen);
      try {
        await service.start();
      } catch (err) {
        throw new Error(`service ${s.name}: cannot listen on ${s.listen} (${s.protocol}): ${(err as Error).message}`);
      }
      this.services.push(service);
    }
    const udp = this.services.filter((s): s is UdpService => s instanceof UdpService);
    if (udp.length === 0) return;
    // TCP flows time out on their sockets; UDP sessions only here.
    this.sweeper = setInterval(() => {
      core.sweepIdle(performance.now(), SWEEP_BUDGET, (flow) => {
        const owner = udp.find((u) => u.owns(flow));
        owner?.end(flow);
      });
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }
}
