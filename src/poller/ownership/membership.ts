/**
 * One agent's part in sharing a server store (src/store/ownership.ts): a heartbeat every third
 * of the lease TTL (which also renews its appliance leases, so a cycle longer than the TTL keeps
 * them), the coordinator's work when it holds that lease (the plan of rendezvous.ts written
 * under its epoch), and before every cycle the agent's turn: release what it is no longer
 * wanted for, take what it is. What it polls is exactly what that turn returned, and every
 * write carries the turn's epochs as its fence.
 *
 * A store that cannot be reached (a PostgreSQL restart) makes a tick fail: it is logged and the
 * next tick tries again; leases held keep their expiry on the server, so nothing moves unless
 * this agent stays away past its TTL.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AgentRegistration, Fence, HeldLease, OwnershipStore } from '../../store/ownership.js';
import { describeError } from '../../protocol/describe-error.js';
import { planOwners } from './rendezvous.js';

export interface MembershipOptions {
  site?: string;
  capacity?: number;
  command: string;
  /** Where the other agents reach this one's API (a `serve`, known once it listens); none for a `monitor`. */
  apiUrl?: () => string | null;
  /** Lease TTL, ms: how long a silent agent keeps what it holds. */
  ttlMs: number;
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
}

/** Appliances an agent takes by default: more than one machine polls (docs/PERFORMANCE.md). */
export const DEFAULT_CAPACITY = 5_000;

/** A lease TTL for a poll interval: three intervals, at least 6 s (a SIGKILLed agent's appliances move after it). */
export const ownershipTtlFor = (intervalMs: number): number => Math.max(6_000, 3 * intervalMs);

export class AgentMembership {
  private readonly registration: AgentRegistration;
  private timer: NodeJS.Timeout | null = null;
  private lastCycleMs: number | null = null;
  private ticking: Promise<void> | null = null;
  private left = false;

  constructor(
    private readonly store: OwnershipStore,
    private readonly options: MembershipOptions,
  ) {
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number from 1, got ${capacity}`);
    this.registration = {
      id: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      site: options.site ?? 'default',
      capacity,
      host: hostname(),
      pid: process.pid,
      command: options.command,
      apiUrl: options.apiUrl?.() ?? null,
    };
  }

  get id(): string {
    return this.registration.id;
  }

  /** Registers and starts the heartbeat. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(
      () => {
        this.ticking ??= this.tick().finally(() => (this.ticking = null));
      },
      Math.max(200, Math.floor(this.options.ttlMs / 3)),
    );
    this.timer.unref();
  }

  /** The agent's turn before a cycle: the leases it holds now, as the cycle's fence. */
  async turn(): Promise<{ held: HeldLease[]; fence: Fence }> {
    const held = await this.store.sync(this.id, this.options.ttlMs);
    return { held, fence: { agent: this.id, epochs: new Map(held.map((l) => [l.appliance, l.epoch])) } };
  }

  cycleDone(ms: number): void {
    this.lastCycleMs = ms;
  }

  /** Leaves at once (SIGTERM, --for over): every lease free for the others. Safe to call twice. */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => undefined);
    await this.store.leave(this.id);
  }

  /** Heartbeat, then — as coordinator — the plan for every appliance. */
  private async tick(): Promise<void> {
    if (this.left) return;
    try {
      if (this.options.apiUrl) this.registration.apiUrl = this.options.apiUrl();
      await this.store.heartbeat(this.registration, this.lastCycleMs, this.options.ttlMs);
      const epoch = await this.store.coordinate(this.id, this.options.ttlMs);
      if (epoch === null) return;
      const view = await this.store.view();
      const plan = planOwners(view.appliances, view.agents);
      if (!(await this.store.assign(this.id, epoch, plan)))
        this.options.log?.warn({ epoch }, 'the coordinator lease moved while planning: the new coordinator plans');
    } catch (err) {
      this.options.log?.warn({ err: describeError(err) }, 'agent heartbeat failed (store unreachable?): trying again');
    }
  }
}
