import type { RuleTable } from '../src/protocol/rules/model.js';
import { encodeRules } from '../src/protocol/rules/index.js';
import { encodeCounters } from '../src/protocol/counters.js';
import { fromHex } from '../src/protocol/digest.js';
import type { Identity } from '../src/protocol/serial/messages.js';
import { snapshotCounters, type CountersSnapshot } from './forwarding/counters-snapshot.js';
import { ForwardingCore } from './forwarding/forwarding-core.js';
import { HealthMonitor, type HealthTarget } from './forwarding/health/health-monitor.js';
import type { Random } from './forwarding/scheduler.js';
import { ConfigManager, STARTUP_FILE, type ConfigEvent } from './mgmt/config-manager.js';
import type { ManagementOps } from './mgmt/management-ops.js';
import { firmwareOps } from './mgmt/firmware-ops.js';
import { MgmtError } from './mgmt/errors.js';
import type { BootResult, Bootloader } from './boot/index.js';
import { refusalOf } from './failover/action-refusal.js';
import { FailoverMember, type FailoverEvent } from './failover/member.js';
import { rejoinDetail, rejoinWindowMs } from './failover/rejoin.js';
import type { GroupConfig } from './failover/group-config.js';
import type { FloatingServicesPort, HeartbeatLink } from './failover/ports.js';
import { NO_DATA_PLANE, type Clock, type DataPlanePort, type HealthProbePort, type ImageFetchPort, type StoragePort } from './ports.js';

export const MODEL = 'FL-1000';
const IDENTITY = 'identity.json';

export interface ApplianceIdentity {
  model: string;
  serialNumber: string;
  firmware: string;
}

export type ApplianceEvent =
  | { type: 'backend-state'; service: string; address: string; up: boolean; detail: string; at: number }
  /** `detail`: why, when it was no operator's commit (an interrupted one taken up again at a group member's boot). */
  | { type: 'commit'; configId: string; pendingConfirm: boolean; at: number; detail?: string }
  | { type: 'confirm'; configId: string; at: number; by?: string }
  | { type: 'rollback'; configId: string; reason: 'confirm-timeout' | 'operator'; at: number }
  /** A trial image passed its self-test and made itself permanent. */
  | { type: 'firmware-confirmed'; version: string; at: number }
  /** Something the appliance had to repair or could not do, for the log. */
  | { type: 'problem'; detail: string; at: number }
  /** Failover group: a state change with its reason, the floating services opening or closing, an address still held. */
  | Exclude<FailoverEvent, { type: 'problem' }>;

export interface ApplianceOptions {
  clock: Clock;
  storage: StoragePort;
  probe: HealthProbePort;
  random: Random;
  firmwareVersion: string;
  /** Seeds a fresh appliance (no startup config yet); ignored when one is stored. */
  seedRules?: RuleTable;
  /** Size of the connection table. */
  maxFlows?: number;
  /** The bootloader that started this image, and how to restart the box: firmware slots over the management channels. */
  boot?: { bootloader: Bootloader; result: BootResult; restart: () => void; fetch?: ImageFetchPort };
}

/** After a failed post-boot self-test, the box restarts (and so reverts a trial image) after this long. */
export const SELF_TEST_RESTART_MS = 1_000;

/**
 * The appliance firmware's top: identity, the configuration database (candidate, running,
 * startup, history), the running rule table compiled into the forwarding core, and health
 * monitoring. The data plane and the management channels sit on top of this object; they reach
 * it, never the other way round.
 */
export class Appliance {
  private monitor: HealthMonitor | null = null;
  private readonly listeners = new Set<(e: ApplianceEvent) => void>();
  private dataPlane: DataPlanePort = NO_DATA_PLANE;
  private config!: ConfigManager;
  private forwarding!: ForwardingCore;
  private member: FailoverMember | null = null;
  readonly bootedAt: number;
  readonly management: ManagementOps;

  private constructor(
    private readonly options: ApplianceOptions,
    readonly identity: ApplianceIdentity,
  ) {
    this.bootedAt = options.clock.now();
    this.management = this.managementOps();
  }

  static async boot(options: ApplianceOptions): Promise<Appliance> {
    const identity = await loadIdentity(options);
    // A fresh box takes the seed as its startup config, so later boots run it whatever seed they get.
    if (options.seedRules && !(await options.storage.read(STARTUP_FILE))) {
      await options.storage.writeAtomic(STARTUP_FILE, encodeRules(options.seedRules));
    }
    const appliance = new Appliance(options, identity);
    appliance.config = await ConfigManager.load({
      clock: options.clock,
      storage: options.storage,
      apply: (table) => appliance.applyRules(table),
      onEvent: (e) => appliance.onConfigEvent(e),
      ...(options.seedRules ? { fallback: options.seedRules } : {}),
    });
    appliance.forwarding = new ForwardingCore(appliance.config.running.table, {
      random: options.random,
      maxFlows: options.maxFlows ?? 65_536,
      nowEpochMs: options.clock.epochMs(),
    });
    appliance.startHealth();
    if (options.boot?.result.trial) await appliance.selfTest(options.boot);
    for (const detail of appliance.config.loadProblems) queueMicrotask(() => appliance.emit({ type: 'problem', detail, at: options.clock.epochMs() }));
    return appliance;
  }

  get rules(): RuleTable {
    return this.config.running.table;
  }

  get configId(): string {
    return this.config.running.id;
  }

  get core(): ForwardingCore {
    return this.forwarding;
  }

  get configManager(): ConfigManager {
    return this.config;
  }

  /** Connects the data plane that serves the running table (it must already serve it). */
  attachDataPlane(port: DataPlanePort): void {
    this.dataPlane = port;
  }

  /**
   * Joins a failover group (firmware/failover/): from now on the floating services open only
   * while this member is active. The data plane attached must leave them closed until then.
   * A member that went down while a commit confirmed was pending takes it up again first, for
   * the rejoin window (failover/rejoin.ts), so its first heartbeats already say "pending".
   */
  async joinGroup(config: GroupConfig, links: readonly HeartbeatLink[], services: FloatingServicesPort): Promise<FailoverMember> {
    if (this.member) throw new Error(`already a member of group ${this.member.config.name}`);
    await this.rejoinInterrupted(config);
    this.member = await FailoverMember.join(config, {
      clock: this.options.clock,
      storage: this.options.storage,
      core: this.forwarding,
      configId: () => this.config.running.id,
      configPending: () => this.config.pending !== null,
      // The operator's confirm itself: the commit is kept and saved as startup exactly as then.
      confirmConfig: async (configId, by) => {
        try {
          await this.config.confirm({ configId, by });
          return true;
        } catch (err) {
          if (err instanceof MgmtError && err.code === 'nothingToConfirm') return false;
          throw err;
        }
      },
      links,
      services,
      onEvent: (e) => this.emit(e as ApplianceEvent),
    });
    return this.member;
  }

  /** A commit that cannot be taken up again (storage, the core refusing it) is a `problem` event; the startup config runs, as after a lone box's reboot. */
  private async rejoinInterrupted(config: GroupConfig): Promise<void> {
    const commit = this.config.interruptedCommit;
    if (!commit) return;
    const windowMs = rejoinWindowMs(config);
    try {
      await this.config.resumeInterrupted(windowMs, rejoinDetail(config.name, windowMs));
    } catch (err) {
      if (!(err instanceof MgmtError)) throw err;
      const detail = `restarted during the commit confirmed of ${commit.id.slice(0, 12)}, which could not be taken up again (${err.message}): the startup config runs`;
      this.emit({ type: 'problem', detail, at: this.options.clock.epochMs() });
    }
  }

  /** The failover group membership, or null for a lone appliance. */
  get group(): FailoverMember | null {
    return this.member;
  }

  uptimeSeconds(): number {
    return Math.floor((this.options.clock.now() - this.bootedAt) / 1000);
  }

  counters(): CountersSnapshot {
    return snapshotCounters(this.forwarding);
  }

  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A trial image checks itself once it runs: configuration loaded and forwarding core built
   * (getting here proves both), and whatever its image's manifest says about its health. Passed:
   * it confirms itself, so it stays. Failed: it restarts without confirming, and the bootloader
   * goes back to the previous image.
   */
  private async selfTest(boot: NonNullable<ApplianceOptions['boot']>): Promise<void> {
    await boot.bootloader.markRunning();
    const at = this.options.clock.epochMs();
    if (boot.result.simulate.includes('fails-health')) {
      queueMicrotask(() =>
        this.emit({ type: 'problem', detail: `firmware ${boot.result.version} failed its post-boot self-test: restarting to the previous image`, at }),
      );
      this.options.clock.after(SELF_TEST_RESTART_MS, boot.restart);
      return;
    }
    await boot.bootloader.confirm();
    queueMicrotask(() => this.emit({ type: 'firmware-confirmed', version: boot.result.version, at }));
  }

  stop(): void {
    this.member?.stop();
    this.monitor?.stop();
    this.monitor = null;
    this.config.stop();
  }

  /**
   * Puts a rule table in service: the data plane prepares (and may refuse, changing nothing),
   * the core switches in place keeping flows and counters that survive, health checks follow
   * the new backends, and the data plane lets go of what is gone.
   */
  private async applyRules(table: RuleTable): Promise<void> {
    await this.dataPlane.prepare(table);
    let ended: number[];
    try {
      ended = this.forwarding.reconfigure(table, this.options.clock.epochMs());
    } catch (err) {
      await this.dataPlane.abandon(table);
      throw err;
    }
    this.monitor?.stop();
    this.startHealth();
    this.dataPlane.switched(table, ended);
  }

  private onConfigEvent(e: ConfigEvent): void {
    if (e.kind === 'revert-failed')
      this.emit({ type: 'problem', detail: `confirm timeout: reverting to ${e.configId} failed (${e.detail}); retrying in ${e.retryInMs}ms`, at: e.at });
    else this.emit({ ...e, type: e.kind } as ApplianceEvent);
  }

  private emit(e: ApplianceEvent): void {
    for (const l of this.listeners) l(e);
  }

  private managementOps(): ManagementOps {
    return {
      identity: (): Identity => ({
        model: this.identity.model,
        serialNumber: this.identity.serialNumber,
        firmware: this.identity.firmware,
        configId: fromHex(this.config.running.id),
        uptimeSeconds: this.uptimeSeconds(),
        pendingConfirmMs: Math.ceil(this.config.status().pendingConfirmMs),
        ...(this.member ? { group: this.member.identity } : {}),
      }),
      runningEncoding: () => this.config.running.encoding,
      candidateEncoding: () => this.config.candidate?.encoding ?? null,
      startupEncoding: () => this.config.startup.encoding,
      rollbackEncoding: (steps) => this.config.history[steps - 1]?.encoding ?? null,
      history: () => this.config.history.map((c) => ({ configId: fromHex(c.id), at: c.note?.at ?? 0, by: c.note?.by ?? '', comment: c.note?.comment ?? '' })),
      countersEncoding: () => encodeCounters(this.counters()),
      setCandidate: async (encoding) => fromHex(this.config.setCandidate(encoding)),
      commit: async (confirmTimeoutMs, note) => {
        const r = await this.config.commit({ confirmTimeoutMs, note });
        return { configId: fromHex(r.configId), previousId: fromHex(r.previousId) };
      },
      confirm: async () => ({ configId: fromHex((await this.config.confirm()).configId) }),
      rollback: async (steps, note) => ({ configId: fromHex((await this.config.rollback(steps, note)).configId) }),
      groupAction: (action) => {
        const member = this.member;
        if (!member) throw new MgmtError('notInGroup', 'this appliance belongs to no failover group');
        // The same rule as SNMP's fulcrumFoAction: a console must not leave the group without an active member either.
        const refusal = refusalOf(action, member.status());
        if (refusal) throw new MgmtError(refusal.code, `go ${action}: ${refusal.reason}`);
        if (action === 'standby') member.goStandby();
        else if (action === 'offline') member.goOffline();
        else member.goOnline();
        return member.identity;
      },
      firmware: this.options.boot ? firmwareOps(this.options.boot.bootloader, this.options.boot.restart, this.options.boot.fetch ?? null) : null,
    };
  }

  private startHealth(): void {
    const core = this.forwarding;
    const targets: HealthTarget[] = [];
    const where: { service: number; backend: number }[] = [];
    core.services.forEach((svc, s) => {
      const check = svc.config.health;
      if (!check) return;
      svc.config.backends.forEach((b, i) => {
        targets.push({ id: where.length, address: b.address, check, initiallyUp: svc.isHealthy(i) });
        where.push({ service: s, backend: i });
      });
    });
    const clock = this.options.clock;
    const monitor = new HealthMonitor(clock, this.options.probe, (t) => {
      if (this.monitor !== monitor) return; // a probe of a table that is no longer running
      const at = clock.epochMs();
      const { service, backend } = where[t.id]!;
      const svc = core.services[service]!;
      svc.setHealth(backend, t.up, at);
      this.emit({ type: 'backend-state', service: svc.config.name, address: t.address, up: t.up, detail: t.detail, at });
    });
    this.monitor = monitor;
    monitor.start(targets);
  }
}

async function loadIdentity(options: ApplianceOptions): Promise<ApplianceIdentity> {
  const stored = await options.storage.read(IDENTITY);
  if (stored) {
    try {
      const parsed = JSON.parse(new TextDecoder().decode(stored)) as { serialNumber?: unknown };
      if (typeof parsed.serialNumber === 'string') return { model: MODEL, serialNumber: parsed.serialNumber, firmware: options.firmwareVersion };
    } catch {
      // An unreadable identity is replaced below, as a factory reset of that one field would.
    }
  }
  const serialNumber = `FL${Math.floor(options.random() * 1e10)
    .toString()
    .padStart(10, '0')}`;
  await options.storage.writeAtomic(IDENTITY, new TextEncoder().encode(JSON.stringify({ serialNumber })));
  return { model: MODEL, serialNumber, firmware: options.firmwareVersion };
}
