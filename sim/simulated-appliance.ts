import { Appliance, type ApplianceEvent } from '../firmware/appliance.js';
import { Bootloader, type BootResult } from '../firmware/boot/index.js';
import { SerialServer } from '../firmware/mgmt/serial-server.js';
import type { Clock, ConsolePort } from '../firmware/ports.js';
import { fromHex } from '../src/protocol/digest.js';
import type { RuleTable } from '../src/protocol/rules/model.js';
import { DataPlane } from './data-plane/data-plane.js';
import type { HeartbeatLink } from '../firmware/failover/ports.js';
import type { GroupMembership } from '../src/protocol/serial/messages.js';
import { FloatingDataPlane } from './failover/floating-data-plane.js';
import type { GroupOptions } from './failover/group-options.js';
import { SerialFailoverLink } from './failover/serial-failover-link.js';
import { UdpHeartbeatLink } from './failover/udp-heartbeat-link.js';
import {
  DEFAULT_FIRMWARE_VERSION,
  FLASH_FILE,
  FileFlash,
  MemoryFlash,
  buildFactoryImage,
  simFlash,
  simulatorTrustedKeys,
  type FaultableFlash,
} from './flash/index.js';
import { nodeClock } from './ports/node-clock.js';
import { nodeHealthProbe } from './ports/node-health-probe.js';
import { nodeImageFetch } from './ports/node-image-fetch.js';
import { MemoryStorage, StateDir } from './ports/state-dir.js';
import { SerialLine } from './serial/index.js';
import { linkDevice } from './serial/device-link.js';
import { formatHostPort, type SnmpOptions } from './snmp/options.js';
import { SnmpAgent } from './snmp/snmp-agent.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const SIM_FIRMWARE_VERSION = DEFAULT_FIRMWARE_VERSION;
/** How long a `slow-boot` image takes to come up. */
export const SLOW_BOOT_MS = 3_000;
/** Between a reboot request's answer and the restart: the answer must leave the console first. */
const REBOOT_DELAY_MS = 150;

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
  /** The factory image's version (what a new box runs); default 1.0.0. */
  firmwareVersion?: string;
  /** Ed25519 public keys (raw 32 bytes) whose images the bootloader accepts, besides the factory key. */
  trustKeys?: readonly Uint8Array[];
  maxFlows?: number;
  /** Open a console port on a pseudo-terminal. */
  serial?: SerialOptions;
  /** Run an SNMP agent on UDP (sim/snmp/). `clock`: the agent's (sysUpTime, snmpEngineTime), default the box's; a test moves it to cross a time window. */
  snmp?: SnmpOptions & { onProblem?: (message: string) => void; clock?: Clock };
  /** Join a failover group (sim/failover/): the services listen only while this member is active. */
  group?: GroupOptions;
}

/** The line a started simulator prints, so scripts and tests know where to reach it. */
export interface ReadyInfo {
  name: string;
  configId: string;
  firmware: string;
  services: { name: string; listen: string; protocol: string }[];
  serial: string | null;
  snmp: string | null;
  /** Present for a member of a failover group: its state when the line was printed. */
  group?: GroupMembership;
}

/**
 * A software appliance: the firmware hosted on Node, with real sockets for its data plane, a
 * flash (a file in the state directory) holding its firmware slots, a directory for its
 * configuration, a pseudo-terminal for its console port and a UDP SNMP agent.
 *
 * It boots as a box does: the bootloader picks and verifies an image, the firmware starts with
 * that version. A reboot (asked over the console, or a failed self-test) stops everything but
 * the console's pseudo-terminal — the cable stays plugged in — and boots again. The simulated
 * behaviours an image's manifest declares are played here: `crash-on-boot` dies before the
 * firmware starts (the watchdog restarts the box and the bootloader counts the attempt),
 * `slow-boot` takes SLOW_BOOT_MS to come up; `fails-health` is the firmware's own business.
 */
export class SimulatedAppliance {
  private current: Appliance | null = null;
  private dataPlane: DataPlane | FloatingDataPlane | null = null;
  private groupLinks: (UdpHeartbeatLink | SerialFailoverLink)[] = [];
  private detachConsole: (() => void) | null = null;
  private readonly listeners = new Set<(e: ApplianceEvent) => void>();
  private rebooting: Promise<void> | null = null;
  private snmpPort: number | null = null;
  private stopped = false;
  line: SerialLine | null = null;
  serialServer: SerialServer | null = null;
  snmpAgent: SnmpAgent | null = null;
  bootloader: Bootloader | null = null;
  bootResult: BootResult | null = null;
  /** Boots since start, crashed ones included. */
  boots = 0;

  private constructor(
    readonly name: string,
    private readonly options: SimulatedApplianceOptions,
    private readonly flash: FaultableFlash,
    private readonly factoryImage: Uint8Array,
  ) {}

  static async start(options: SimulatedApplianceOptions): Promise<SimulatedAppliance> {
    const { geometry } = simFlash();
    if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });
    const flash = options.stateDir ? await FileFlash.open(path.join(options.stateDir, FLASH_FILE), geometry) : new MemoryFlash(geometry);
    if (options.group && options.listen === false) throw new Error('a failover group member needs its listeners: it cannot run with listen off');
    const sim = new SimulatedAppliance(options.name, options, flash, buildFactoryImage(options.firmwareVersion ?? SIM_FIRMWARE_VERSION));
    try {
      if (options.serial) await sim.openConsole(options.serial);
      await sim.powerOn();
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }

  /** The firmware running now (after a reboot, the new one). */
  get appliance(): Appliance {
    if (!this.current) throw new Error(`${this.name} is not running`);
    return this.current;
  }

  /** Restart the box: everything but the console cable goes down and boots again. */
  reboot(): Promise<void> {
    this.rebooting ??= (async () => {
      try {
        await this.powerOff();
        if (!this.stopped) await this.powerOn();
      } finally {
        this.rebooting = null;
      }
    })();
    return this.rebooting;
  }

  /** Resolves when a reboot in progress is over (at once when none is). */
  async settled(): Promise<void> {
    while (this.rebooting) await this.rebooting;
  }

  private async powerOn(): Promise<void> {
    const { layout } = simFlash();
    const trustedKeys = simulatorTrustedKeys(this.options.trustKeys ?? []);
    let result: BootResult;
    for (;;) {
      this.boots++;
      this.bootloader = await Bootloader.open(this.flash, layout, { trustedKeys, factoryImage: this.factoryImage });
      result = await this.bootloader.boot();
      if (!result.simulate.includes('crash-on-boot')) break;
      // The image dies before the firmware starts; the watchdog resets the box.
    }
    this.bootResult = result;
    if (result.simulate.includes('slow-boot')) await new Promise((r) => setTimeout(r, SLOW_BOOT_MS));
    const options = this.options;
    const storage = options.stateDir ? new StateDir(options.stateDir) : this.memory;
    const appliance = await Appliance.boot({
      clock: nodeClock,
      storage,
      probe: nodeHealthProbe,
      random: Math.random,
      firmwareVersion: result.version,
      ...(options.rules ? { seedRules: options.rules } : {}),
      ...(options.maxFlows ? { maxFlows: options.maxFlows } : {}),
      boot: { bootloader: this.bootloader, result, restart: () => setTimeout(() => void this.reboot(), REBOOT_DELAY_MS), fetch: nodeImageFetch },
    });
    this.current = appliance;
    for (const l of this.listeners) appliance.onEvent(l);
    if (options.group) await this.joinGroup(appliance, options.group);
    else if (options.listen !== false) {
      const dataPlane = new DataPlane(appliance.core);
      this.dataPlane = dataPlane;
      await dataPlane.start(appliance.rules);
      appliance.attachDataPlane(dataPlane);
    }
    if (this.line) this.attachConsole(this.line, appliance);
    if (options.snmp) {
      // Port 0 picks a free port at the first boot; later boots keep it, as a box keeps its address.
      this.snmpAgent = await SnmpAgent.start(appliance, {
        ...options.snmp,
        port: this.snmpPort ?? options.snmp.port,
        clock: options.snmp.clock ?? nodeClock,
        storage,
        sysName: options.name,
      });
      this.snmpPort = this.snmpAgent.port;
    }
  }

  /** Standby first: the floating data plane opens when the member becomes active. */
  private async joinGroup(appliance: Appliance, group: GroupOptions): Promise<void> {
    const floating = new FloatingDataPlane(appliance.core, () => appliance.rules);
    this.dataPlane = floating;
    appliance.attachDataPlane(floating);
    const links: HeartbeatLink[] = [];
    this.groupLinks = [];
    const udp = await UdpHeartbeatLink.open(group.heartbeat, group.peers);
    this.groupLinks.push(udp);
    links.push(udp);
    if (group.failoverLink !== undefined) {
      const serial = await SerialFailoverLink.open(group.failoverLink);
      this.groupLinks.push(serial);
      links.push(serial);
    }
    await appliance.joinGroup(group.config, links, floating);
  }

  /** Without a state directory, configuration lives in RAM that a reboot keeps (the process is the box's battery). */
  private readonly memory = new MemoryStorage();

  private async powerOff(): Promise<void> {
    await this.snmpAgent?.stop();
    this.snmpAgent = null;
    this.detachConsole?.();
    this.detachConsole = null;
    this.serialServer = null;
    // The firmware's last heartbeat (the member resigning) goes out before its links close.
    this.current?.stop();
    await Promise.all(this.groupLinks.map((l) => l.close()));
    this.groupLinks = [];
    if (this.dataPlane instanceof FloatingDataPlane) await this.dataPlane.close();
    else await this.dataPlane?.stop();
    this.dataPlane = null;
  }

  private async openConsole(options: SerialOptions): Promise<void> {
    const line = await SerialLine.open({ baud: options.baud, noiseBer: options.noiseBer ?? 0, noiseDrop: options.noiseDrop ?? 0 });
    this.line = line;
    if (options.link) linkDevice(options.link, line.path);
  }

  /** This boot's console server on the line; detached at power-off, when the box stops answering. */
  private attachConsole(line: SerialLine, appliance: Appliance): void {
    let up = true;
    const unsubscribe: Array<() => void> = [];
    const port: ConsolePort = {
      write: (bytes) => {
        if (up) line.write(bytes);
      },
      onData: (listener) => void unsubscribe.push(line.onData(listener)),
    };
    const server = new SerialServer(port, appliance.management);
    this.serialServer = server;
    unsubscribe.push(
      appliance.onEvent((e) => {
        if (e.type === 'backend-state') server.notify({ type: 'event', kind: 'backend-state', at: e.at, service: e.service, address: e.address, up: e.up });
        else if (e.type === 'commit')
          server.notify({ type: 'event', kind: 'commit', at: e.at, configId: fromHex(e.configId), pendingConfirm: e.pendingConfirm });
        else if (e.type === 'rollback') server.notify({ type: 'event', kind: 'rollback', at: e.at, configId: fromHex(e.configId), reason: e.reason });
      }),
    );
    this.detachConsole = () => {
      up = false;
      for (const u of unsubscribe) u();
    };
  }

  readyInfo(): ReadyInfo {
    const a = this.appliance;
    return {
      name: this.name,
      configId: a.configId,
      firmware: a.identity.firmware,
      services: a.rules.services.map((s) => ({ name: s.name, listen: s.listen, protocol: s.protocol })),
      serial: this.line?.path ?? null,
      snmp: this.snmpAgent ? formatHostPort(this.snmpAgent.host, this.snmpAgent.port) : null,
      ...(a.group ? { group: a.group.identity } : {}),
    };
  }

  /** Events of the running firmware, across reboots. */
  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    this.listeners.add(listener);
    const off = this.current?.onEvent(listener);
    return () => {
      this.listeners.delete(listener);
      off?.();
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.rebooting?.catch(() => undefined);
    await this.powerOff();
    await this.line?.close();
    this.line = null;
    if (this.flash instanceof FileFlash) await this.flash.close();
  }
}
