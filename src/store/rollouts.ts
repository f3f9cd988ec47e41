/**
 * Fleet firmware rollouts as the database holds them: one row per rollout, one per appliance in
 * it. Every change a rollout goes through is written here before it happens (a device is
 * `upgrading`, with its start time, before its upgrade begins), so an agent that restarts reads
 * exactly where the last one stopped. The rules — waves, thresholds, leases — live in
 * src/upgrade/rollout/; this module only reads and writes rows, and makes the writes that race
 * with another process conditional, so a state changed elsewhere is never overwritten.
 */
import type { RunnerRecord } from './runner-lease.js';

export const ROLLOUT_STATES = ['running', 'paused', 'halted', 'aborted', 'succeeded'] as const;
/** `running`: to be run (whether or not a process runs it right now, see `runner`). */
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const DEVICE_STATES = ['pending', 'upgrading', 'succeeded', 'failed'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** The process that holds a rollout's lease (src/store/runner-lease.ts). */
export type { RunnerRecord } from './runner-lease.js';

export interface RolloutRecord {
  id: number;
  /** SHA-256 of the image (its name in the firmware catalog). */
  image: string;
  version: string;
  /** ms since the epoch. */
  created: number;
  updated: number;
  state: RolloutState;
  /** Why it halted, paused or was aborted; null otherwise. */
  reason: string | null;
  /** The wave steps as given, e.g. [1, "10%", "50%", "100%"]. */
  waves: Array<number | string>;
  /** As given: "N" or "P%". */
  maxFailures: string;
  /** maxFailures resolved against the rollout's device count. */
  allowedFailures: number;
  deadlineMs: number;
  runner: RunnerRecord | null;
}

export interface RolloutDeviceRecord {
  appliance: string;
  /** Order within the rollout: the order the targets were given in. */
  position: number;
  /** 1-based. */
  wave: number;
  state: DeviceState;
  /** ms since the epoch, set when the device's (latest) upgrade started. */
  started: number | null;
  finished: number | null;
  error: string | null;
  /** The version the appliance reported after its upgrade. */
  version: string | null;
}

export interface NewRollout {
  image: string;
  version: string;
  waves: Array<number | string>;
  maxFailures: string;
  allowedFailures: number;
  deadlineMs: number;
  /** In order; each with its wave. */
  devices: ReadonlyArray<{ appliance: string; wave: number }>;
}

export type DeviceOutcome = { state: 'succeeded'; version: string } | { state: 'failed'; error: string; version?: string | null };

export interface RolloutStore {
  /** The rollout and all its devices (state `pending`), in one transaction; the rollout is `running`. */
  create(rollout: NewRollout, now?: number): Promise<RolloutRecord>;
  get(id: number): Promise<RolloutRecord | null>;
  latest(): Promise<RolloutRecord | null>;
  /** Newest first. */
  list(limit?: number): Promise<RolloutRecord[]>;
  /** By wave, then in the order the targets were given. */
  devices(id: number): Promise<RolloutDeviceRecord[]>;
  /** How many of the rollout's devices are in each state. */
  countByState(id: number): Promise<Record<DeviceState, number>>;
  /** Moves the rollout to `to` only from one of `from`: whether it did. */
  setState(id: number, to: RolloutState, from: readonly RolloutState[], reason: string | null, now?: number): Promise<boolean>;
  /**
   * Marks a device `upgrading` with its start time, only while the rollout is `running`, its
   * lease is held by `token` and the device is not finished: a pause or an abort written by
   * another process between the caller's last look and this write wins. Whether it did.
   */
  startDevice(id: number, appliance: string, token: string, now?: number): Promise<boolean>;
  /** Records how an upgrading device ended, only while `token` holds the lease. Whether it did. */
  finishDevice(id: number, appliance: string, outcome: DeviceOutcome, token: string, now?: number): Promise<boolean>;
  /**
   * A halted rollout `running` again with its failed devices back to `pending`, in one
   * transaction: the names put back, or null if the rollout was not halted.
   */
  resumeHalted(id: number, now?: number): Promise<string[] | null>;
  /** Which of `appliances` are in a rollout that is not over (running, paused or halted). */
  unfinishedRolloutsOf(appliances: readonly string[]): Promise<Array<{ appliance: string; rollout: number; state: RolloutState }>>;
  /** Takes the lease for `runner` if the current holder's token is `expected` (null: nobody). Whether it did. */
  claimRunner(id: number, runner: RunnerRecord, expected: string | null): Promise<boolean>;
  /**
   * Renews the lease: false when `token` no longer holds it (another process took it over). A
   * server store writes its own time, whatever `now` says (runners on several machines are
   * compared on one clock: clock()); the SQLite file writes `now`.
   */
  heartbeat(id: number, token: string, now?: number): Promise<boolean>;
  releaseRunner(id: number, token: string): Promise<void>;
  /** Now, on the clock runner heartbeats are kept in (the server's, for a store several agents share), ms. */
  clock(): Promise<number>;
}
