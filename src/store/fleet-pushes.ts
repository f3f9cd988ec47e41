/**
 * Fleet pushes started through the API, as the database holds them: one row per push — what was
 * asked (the rule table's canonical encoding, so any agent rebuilds exactly the same table and
 * config id), its state, its runner's lease — and one per target appliance with its progress.
 * Invariant: every write the run makes is conditional on its runner's token, and each step is
 * written before the run acts on it (a target is `pushing`, with the counters it was judged
 * against, before its push is sent), so an agent that takes a dead runner's push over reads
 * exactly where it stopped. The resume rules live in src/provision/fleet-resume.ts; this module
 * only reads and writes rows.
 */
import type { RunnerRecord } from './runner-lease.js';

export const FLEET_PUSH_STATES = ['running', 'succeeded', 'failed', 'refused'] as const;
/** `running`: to be run (whether or not a process runs it right now, see `runner`); `refused`: stopped at planning, nothing sent. */
export type FleetPushState = (typeof FLEET_PUSH_STATES)[number];

export const FLEET_TARGET_STATES = ['waiting', 'planned', 'unchanged', 'pushing', 'confirmed', 'failed', 'rolled back'] as const;
/**
 * `waiting`: not planned yet; `planned`: to be pushed; `pushing`: its push was (or was about to
 * be) sent and is not confirmed yet; `unchanged`: it ran the table already.
 */
export type FleetTargetState = (typeof FLEET_TARGET_STATES)[number];

/** The counters an appliance was judged against: two snapshots (encodeCounters) `seconds` apart, just before its push. */
export interface FleetBaseline {
  start: Uint8Array;
  end: Uint8Array;
  seconds: number;
}

export interface FleetPushActor {
  /** The API token's id. */
  id: number | null;
  name: string;
}

/** One agent taking the push over from another whose heartbeat went stale. */
export interface FleetPushAdoption {
  /** ms, on the store's clock. */
  at: number;
  from: { host: string; pid: number };
  by: { host: string; pid: number };
}

export interface FleetPushFailure {
  appliance: string;
  reason: string;
  code?: 'destructivePlan';
}

export interface NewFleetPush {
  /** The rule table's canonical encoding. */
  rules: Uint8Array;
  configId: string;
  /** In order: the first that need the change are the canaries. */
  targets: readonly string[];
  canary: number;
  confirmTimeoutMs: number;
  settleMs: number;
  allowDestructive: boolean;
  actor: FleetPushActor | null;
}

export interface FleetPushRecord {
  id: number;
  /** ms since the epoch. */
  created: number;
  updated: number;
  state: FleetPushState;
  configId: string;
  canary: number;
  confirmTimeoutMs: number;
  settleMs: number;
  allowDestructive: boolean;
  actor: FleetPushActor | null;
  /** The failure that stopped the run, once there is one. */
  failure: FleetPushFailure | null;
  runner: RunnerRecord | null;
  /** Oldest first. */
  adoptions: FleetPushAdoption[];
}

export interface FleetTargetRecord {
  appliance: string;
  /** The order the targets were given in. */
  position: number;
  canary: boolean;
  state: FleetTargetState;
  /** The config id it ran before the push (known once planned). */
  before: string | null;
  /** What it runs, as last seen. */
  after: string | null;
  error: string | null;
  /** A push was sent to it (its config may have changed). */
  sent: boolean;
  baseline: FleetBaseline | null;
  updated: number;
}

/** What a step changes of one target; fields left out stay as they are. */
export interface FleetTargetChange {
  appliance: string;
  state?: FleetTargetState;
  canary?: boolean;
  before?: string | null;
  after?: string | null;
  error?: string | null;
  sent?: boolean;
  baseline?: FleetBaseline | null;
}

export interface FleetPushStore {
  /** The push (`running`) and its targets (`waiting`), in one transaction. */
  create(push: NewFleetPush, now?: number): Promise<FleetPushRecord>;
  get(id: number): Promise<FleetPushRecord | null>;
  /** Newest first. */
  list(limit?: number): Promise<FleetPushRecord[]>;
  /** In the order given. */
  targets(id: number): Promise<FleetTargetRecord[]>;
  /** The rule table's canonical encoding, as created. */
  rules(id: number): Promise<Uint8Array | null>;
  /** Applies `changes` in one transaction, only while the push is `running` and `token` holds its lease. Whether it did. */
  updateTargets(id: number, token: string, changes: readonly FleetTargetChange[], now?: number): Promise<boolean>;
  /** Records the failure that stops the run — the first one only — while `token` holds the lease. Whether the lease is held. */
  fail(id: number, token: string, failure: FleetPushFailure, now?: number): Promise<boolean>;
  /** `running` → `state`, while `token` holds the lease. Whether it did. */
  finish(id: number, token: string, state: Exclude<FleetPushState, 'running'>, now?: number): Promise<boolean>;
  /** Appends an adoption, while `token` (the adopter's) holds the lease. */
  noteAdoption(id: number, token: string, adoption: FleetPushAdoption): Promise<boolean>;
  /** Takes the lease for `runner` if the current holder's token is `expected` (null: nobody). Whether it did. */
  claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean>;
  /** Renews the lease (a server store writes its own time); false when `token` no longer holds it. */
  heartbeat(id: number, token: string, now?: number): Promise<boolean>;
  releaseRunner(id: number, token: string): Promise<void>;
  /** Now, on the clock runner heartbeats are kept in, ms. */
  clock(): Promise<number>;
}
