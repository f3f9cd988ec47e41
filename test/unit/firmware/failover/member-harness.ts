/**
 * Two or more failover members in one test under one fake clock: forwarding cores of a real
 * rule table, heartbeat links as in-memory wires that a test can cut per path, floating
 * services that record their state and can be made to find the address taken, and each member's
 * own configuration database (commit confirmed, confirm, revert at the timeout) in memory.
 */
import type { ForwardingCore as Core } from '../../../../firmware/forwarding/forwarding-core.js';
import { ForwardingCore } from '../../../../firmware/forwarding/forwarding-core.js';
import type { LinkName } from '../../../../firmware/failover/envelope.js';
import { groupConfig } from '../../../../firmware/failover/group-config.js';
import { FailoverMember, type FailoverEvent } from '../../../../firmware/failover/member.js';
import type { FloatingServicesPort, HeartbeatLink } from '../../../../firmware/failover/ports.js';
import { ConfigManager, type ConfigEvent } from '../../../../firmware/mgmt/config-manager.js';
import { recordFromTable } from '../../../../firmware/mgmt/config-record.js';
import { MgmtError } from '../../../../firmware/mgmt/errors.js';
import { MemoryStorage } from '../../../../sim/ports/state-dir.js';
import type { RuleTable } from '../../../../src/protocol/rules/model.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { service, table } from '../../../support/rules.js';

export const KEY = new TextEncoder().encode('the shared key of the test group');
const LATENCY_MS = 1;

/** One path between every member: a message sent by one reaches all others unless the path is cut for its sender. */
export class Wire {
  private readonly ends: { unit: number; deliver: (bytes: Uint8Array) => void }[] = [];
  private readonly cut = new Set<number>();
  /** Every message sent on this wire, for replays. */
  readonly sent: Uint8Array[] = [];

  constructor(
    readonly name: LinkName,
    private readonly clock: FakeClock,
  ) {}

  /** Cut (or restore) the path of one member, both ways. */
  setCut(unit: number, isCut: boolean): void {
    if (isCut) this.cut.add(unit);
    else this.cut.delete(unit);
  }

  /** Delivers bytes as if from outside (a replay, junk). */
  inject(toUnit: number, bytes: Uint8Array): void {
    for (const e of this.ends) if (e.unit === toUnit) e.deliver(bytes);
  }

  end(unit: number): HeartbeatLink {
    const listeners = new Set<(bytes: Uint8Array) => void>();
    this.ends.push({ unit, deliver: (bytes) => listeners.forEach((l) => l(bytes)) });
    return {
      name: this.name,
      send: (bytes) => {
        this.sent.push(bytes);
        if (this.cut.has(unit)) return;
        for (const e of this.ends) {
          if (e.unit === unit || this.cut.has(e.unit)) continue;
          const copy = Uint8Array.from(bytes);
          this.clock.after(LATENCY_MS, () => e.deliver(copy));
        }
      },
      onMessage: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  }
}

export class FakeServices implements FloatingServicesPort {
  listening = false;
  /** How many opens still fail as if the address were held. */
  failNext = 0;
  opens = 0;

  constructor(private readonly core: () => Core) {}

  async open(): Promise<void> {
    this.opens++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('service web: cannot listen on 127.0.0.1:8000 (tcp): listen EADDRINUSE');
    }
    this.listening = true;
  }

  async close(): Promise<number> {
    this.listening = false;
    let cut = 0;
    for (const s of this.core().services) cut += s.service.connsActive;
    return cut;
  }
}

/** Service 0: dns (UDP sessions), service 1: web (TCP, source-IP persistence); round robin, so a kept backend is no accident. */
export const DNS = 0;
export const WEB = 1;
export const STICKY_TABLE: RuleTable = table(
  service({ name: 'dns', listen: '127.0.0.1:5300', protocol: 'udp', algorithm: 'round-robin', backends: [{}, {}, {}] }),
  service({ name: 'web', algorithm: 'round-robin', persistence: { type: 'source-ip', timeoutMs: 300_000 }, backends: [{}, {}, {}] }),
);

export interface TestMember {
  unit: number;
  core: Core;
  services: FakeServices;
  events: FailoverEvent[];
  member: FailoverMember;
  /** The member's configuration database: a test commits and confirms through it as an agent would. */
  config: ConfigManager;
  configEvents: ConfigEvent[];
}

export async function startMember(
  clock: FakeClock,
  wires: Wire[],
  unit: number,
  options: { priority?: number; preempt?: boolean; preemptDelayMs?: number; rules?: RuleTable } = {},
): Promise<TestMember> {
  const rules = options.rules ?? STICKY_TABLE;
  const core = new ForwardingCore(rules, { random: () => 0.5, maxFlows: 4096, nowEpochMs: 0 });
  const services = new FakeServices(() => core);
  const events: FailoverEvent[] = [];
  const configEvents: ConfigEvent[] = [];
  const running = recordFromTable(rules);
  const storage = new MemoryStorage();
  const db = new ConfigManager(
    { clock, storage, apply: (t) => void core.reconfigure(t, clock.epochMs()), onEvent: (e) => configEvents.push(e) },
    { running, history: [], saved: { startupId: '', history: [] } },
  );
  const config = groupConfig({
    name: 'pair-a',
    unit,
    key: KEY,
    intervalMs: 100,
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
    ...(options.preempt !== undefined ? { preempt: options.preempt } : {}),
    ...(options.preemptDelayMs !== undefined ? { preemptDelayMs: options.preemptDelayMs } : {}),
  });
  const member = await FailoverMember.join(config, {
    clock,
    storage,
    core,
    configId: () => db.running.id,
    configPending: () => db.pending !== null,
    // As firmware/appliance.ts wires it.
    confirmConfig: async (id, by) => {
      try {
        await db.confirm({ configId: id, by });
        return true;
      } catch (err) {
        if (err instanceof MgmtError && err.code === 'nothingToConfirm') return false;
        throw err;
      }
    },
    links: wires.map((w) => w.end(unit)),
    services,
    onEvent: (e) => events.push(e),
  });
  return { unit, core, services, events, member, config: db, configEvents };
}

export const transitions = (m: TestMember) => m.events.filter((e) => e.type === 'failover');
