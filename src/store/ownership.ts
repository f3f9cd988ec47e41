/**
 * Several agents on one server store, each appliance polled by exactly one of them. The store
 * keeps who is alive and who holds what; the rules (who should own what) live in
 * src/poller/ownership/. Invariants, all on the database's clock so that no agent's clock can
 * make two owners:
 * - an agent is alive while its heartbeat is younger than the lease TTL and it has not left;
 * - one coordinator at a time (a lease row with an epoch that grows at every change of holder):
 *   only it writes who *should* own each appliance, and its write is refused once its epoch is stale;
 * - an appliance's lease moves to a new owner only once the old one expired or was released,
 *   and its epoch grows with every owner: a write carrying an older epoch (an agent that was
 *   stopped past its lease) is refused.
 */

export interface AgentRegistration {
  /** Unique per running process (host, pid and a random part). */
  id: string;
  site: string;
  /** Appliances it takes at most. */
  capacity: number;
  host: string;
  pid: number;
  command: string;
  /** Where the others reach its API (a `serve`), to hand it the changes of the appliances it owns; null: it has none (a `monitor`). */
  apiUrl: string | null;
}

export interface AgentRecord extends AgentRegistration {
  /** ms, database clock. */
  started: number;
  /** ms, database clock. */
  heartbeat: number;
  live: boolean;
  stopped: boolean;
  /** Unexpired appliance leases it holds. */
  leases: number;
  /** Its last poll cycle, ms. */
  cycleMs: number | null;
  /** How long its leases last without a heartbeat, ms. */
  ttlMs: number;
  coordinator: boolean;
}

/** An appliance lease held: what every write for that appliance carries. */
export interface HeldLease {
  appliance: string;
  epoch: number;
}

/** The leases a write is made under: refused for an appliance whose lease this agent no longer holds at that epoch. */
export interface Fence {
  agent: string;
  epochs: ReadonlyMap<string, number>;
}

export interface OwnershipStore {
  /** Registers the agent or renews its heartbeat (with its last cycle time), and pushes out the expiry of every lease it holds. */
  heartbeat(agent: AgentRegistration, cycleMs: number | null, ttlMs: number): Promise<void>;
  /** Takes or renews the coordinator lease for `agent`: its epoch while held, else null. */
  coordinate(agent: string, ttlMs: number): Promise<number | null>;
  /** Live agents (heartbeat within their lease TTL, not left) and every appliance with its site. */
  view(): Promise<{ agents: AgentRecord[]; appliances: Array<{ name: string; site: string }> }>;
  /** The coordinator's plan: appliance → agent (null: nobody can take it). Refused (false) when `epoch` is no longer the coordinator's. */
  assign(agent: string, epoch: number, wanted: ReadonlyMap<string, string | null>): Promise<boolean>;
  /**
   * The agent's turn, between two cycles (it polls nothing meanwhile): releases what it holds
   * but another agent is wanted for, renews what it keeps, and takes what it is wanted for and
   * nobody holds (free, or expired: a new epoch). Returns every lease it holds now.
   */
  sync(agent: string, ttlMs: number): Promise<HeldLease[]>;
  /** Leaving (SIGTERM): every lease and the coordinator released at once, the agent marked stopped. */
  leave(agent: string): Promise<void>;
  /** Every agent known, live or not, newest heartbeat first. */
  agents(): Promise<AgentRecord[]>;
  /** Appliance → the agent holding its unexpired lease. */
  owners(): Promise<Map<string, string>>;
}

/** A write refused because its fence no longer holds the appliance's lease: another agent owns it now. */
export class StaleLeaseError extends Error {
  override readonly name = 'StaleLeaseError';
  readonly code = 'staleLease';

  constructor(
    readonly appliance: string,
    agent: string,
  ) {
    super(`${appliance}: agent ${agent} no longer holds its lease (another agent owns it now): the write was refused`);
  }
}
