import { Appliance, type ApplianceEvent } from '../firmware/appliance.js';
import { SerialServer } from '../firmware/mgmt/serial-server.js';
import { fromHex } from '../src/protocol/digest.js';
import type { RuleTable } from '../src/protocol/rules/model.js';
import { DataPlane } from './data-plane/data-plane.js';
import { nodeClock } from './ports/node-clock.js';
import { nodeHealthProbe } from './ports/node-health-probe.js';
import { MemoryStorage, StateDir } from './ports/state-dir.js';
import { SerialLine } from './serial/index.js';
import { linkDevice } from './serial/device-link.js';
import { formatHostPort, type SnmpOptions } from './snmp/options.js';
import { SnmpAgent } from './snmp/snmp-agent.js';

export const SIM_FIRMWARE_VERSION = '1.0.0';

export interface SerialOptions {
  baud: number;
  /** Probability of a bit flip per bit on the line, each way. */
  noiseBer?: number;
  /** Probability of losing a byte on the line, each way. */
  noiseDrop?: number;
  /** Also make this path a symlink to the console (stable across restarts). */
  link?: string;
}

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
  /** Open a console port on a pseudo-terminal. */
  serial?: SerialOptions;
  /** Run an SNMP agent on UDP (sim/snmp/). */
  snmp?: SnmpOptions & { onProblem?: (message: string) => void };
}

/** The line a started simulator prints, so scripts and tests know where to reach it. */
export interface ReadyInfo {
  name: string;
  configId: string;
  services: { name: string; listen: string; protocol: string }[];
  serial: string | null;
  snmp: string | null;
}

/**
 * A software appliance: the firmware hosted on Node, with real sockets for its data plane, a
 * directory for its flash, a pseudo-terminal for its console port and a UDP SNMP agent.
 */
export class SimulatedAppliance {
  private dataPlane: DataPlane | null = null;
  line: SerialLine | null = null;
  serialServer: SerialServer | null = null;
  snmpAgent: SnmpAgent | null = null;

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
    try {
      if (options.listen !== false) {
        const dataPlane = new DataPlane(appliance.core);
        sim.dataPlane = dataPlane;
        await dataPlane.start(appliance.rules);
        appliance.attachDataPlane(dataPlane);
      }
      if (options.serial) await sim.openConsole(options.serial);
      if (options.snmp) sim.snmpAgent = await SnmpAgent.start(appliance, { ...options.snmp, clock: nodeClock, sysName: options.name });
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }

  private async openConsole(options: SerialOptions): Promise<void> {
    const line = await SerialLine.open({ baud: options.baud, noiseBer: options.noiseBer ?? 0, noiseDrop: options.noiseDrop ?? 0 });
    this.line = line;
    if (options.link) linkDevice(options.link, line.path);
    const server = new SerialServer(line, this.appliance.management);
    this.serialServer = server;
    this.appliance.onEvent((e) => {
      if (e.type === 'backend-state') server.notify({ type: 'event', kind: 'backend-state', at: e.at, service: e.service, address: e.address, up: e.up });
      else if (e.type === 'commit') server.notify({ type: 'event', kind: 'commit', at: e.at, configId: fromHex(e.configId), pendingConfirm: e.pendingConfirm });
      else if (e.type === 'rollback') server.notify({ type: 'event', kind: 'rollback', at: e.at, configId: fromHex(e.configId), reason: e.reason });
    });
  }

  readyInfo(): ReadyInfo {
    return {
      name: this.name,
      configId: this.appliance.configId,
      services: this.appliance.rules.services.map((s) => ({ name: s.name, listen: s.listen, protocol: s.protocol })),
      serial: this.line?.path ?? null,
      snmp: this.snmpAgent ? formatHostPort(this.snmpAgent.host, this.snmpAgent.port) : null,
    };
  }

  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    return this.appliance.onEvent(listener);
  }

  async stop(): Promise<void> {
    await this.snmpAgent?.stop();
    this.snmpAgent = null;
    this.appliance.stop();
    await this.dataPlane?.stop();
    this.dataPlane = null;
    await this.line?.close();
    this.line = null;
  }
}
