import type { RuleTable } from '../src/protocol/rules/model.js';
import { configId, decodeRules, encodeRules } from '../src/protocol/rules/index.js';
import { snapshotCounters, type CountersSnapshot } from './forwarding/counters-snapshot.js';
import { ForwardingCore } from './forwarding/forwarding-core.js';
import { HealthMonitor, type HealthTarget } from './forwarding/health/health-monitor.js';
import type { Random } from './forwarding/scheduler.js';
import type { Clock, HealthProbePort, StoragePort } from './ports.js';

export const MODEL = 'FL-1000';
export const STARTUP_CONFIG = 'startup.rules';
const IDENTITY = 'identity.json';

export interface ApplianceIdentity {
  model: string;
  serialNumber: string;
  firmware: string;
}

export type ApplianceEvent =
  | { type: 'backend-state'; service: string; address: string; up: boolean; detail: string; at: number }
  | { type: 'startup-config-invalid'; detail: string; at: number };

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
}

/**
 * The appliance firmware's top: identity, the startup config in flash, the running rule
 * table compiled into the forwarding core, and health monitoring. The data plane and the
 * management channels sit on top of this object; they reach it, never the other way round.
 */
export class Appliance {
  private monitor: HealthMonitor | null = null;
  private readonly listeners = new Set<(e: ApplianceEvent) => void>();
  readonly bootedAt: number;

  private constructor(
    private readonly options: ApplianceOptions,
    readonly identity: ApplianceIdentity,
    private running: RuleTable,
    private runningId: string,
    private forwarding: ForwardingCore,
  ) {
    this.bootedAt = options.clock.now();
  }

  static async boot(options: ApplianceOptions): Promise<Appliance> {
    const identity = await loadIdentity(options);
    const problems: string[] = [];
    let rules: RuleTable | null = null;
    const stored = await options.storage.read(STARTUP_CONFIG);
    if (stored) {
      try {
        rules = decodeRules(stored);
      } catch (err) {
        // Keep the box up on a readable table rather than dead on an unreadable one, and say so.
        problems.push(`stored startup config unreadable (${(err as Error).message}); booting ${options.seedRules ? 'the seed rules' : 'an empty table'}`);
      }
    }
    if (!rules) {
      rules = options.seedRules ?? { services: [] };
      await options.storage.writeAtomic(STARTUP_CONFIG, encodeRules(rules));
    }
    const core = new ForwardingCore(rules, { random: options.random, maxFlows: options.maxFlows ?? 65_536, nowEpochMs: options.clock.epochMs() });
    const appliance = new Appliance(options, identity, rules, configId(rules), core);
    appliance.startHealth();
    for (const detail of problems) queueMicrotask(() => appliance.emit({ type: 'startup-config-invalid', detail, at: options.clock.epochMs() }));
    return appliance;
  }

  get rules(): RuleTable {
    return this.running;
  }

  get configId(): string {
    return this.runningId;
  }

  get core(): ForwardingCore {
    return this.forwarding;
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

  stop(): void {
    this.monitor?.stop();
    this.monitor = null;
  }

  private emit(e: ApplianceEvent): void {
    for (const l of this.listeners) l(e);
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
    this.monitor = new HealthMonitor(clock, this.options.probe, (t) => {
      const at = clock.epochMs();
      const { service, backend } = where[t.id]!;
      const svc = core.services[service]!;
      svc.setHealth(backend, t.up, at);
      this.emit({ type: 'backend-state', service: svc.config.name, address: t.address, up: t.up, detail: t.detail, at });
    });
    this.monitor.start(targets);
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
  const serialNumber = `FL${Math.floor(options.random() * 1e10).toString().padStart(10, '0')}`;
  await options.storage.writeAtomic(IDENTITY, new TextEncoder().encode(JSON.stringify({ serialNumber })));
  return { model: MODEL, serialNumber, firmware: options.firmwareVersion };
}
