/**
 * What a fleet push (fleet-push.ts) is asked and what it answers: the request, the steps it
 * reports as they happen, and the report at its end. Kept apart from the run so front ends (the
 * CLI's renderer, the API's schemas) depend on the words, not on the run.
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import type { RuleTable } from '../protocol/rules/model.js';
import type { ConfigCache } from '../store/config-cache.js';
import type { ApplianceRecord } from '../store/inventory.js';
import type { FleetJournal, FleetResume } from './fleet-resume.js';
import type { Plan } from './plan.js';
import type { OverrideNames } from './push-guards.js';

/** How the run reaches an appliance: one operation at a time per appliance (the API's DriverPool fits). */
export interface FleetAccess {
  use<T>(appliance: ApplianceRecord, work: (driver: ApplianceDriver) => Promise<T>): Promise<T>;
}

export interface FleetPushRequest {
  rules: RuleTable;
  /** In order: the first `canary` of those that need the change are the canaries. */
  targets: readonly ApplianceRecord[];
  canary: number;
  confirmTimeoutMs: number;
  settleMs: number;
  cache: ConfigCache;
  /** Appliances pushed at once after the canaries (default 8). */
  concurrency?: number;
  /** Push plans that remove every service or more than half of them on an appliance. */
  allowDestructive?: boolean | undefined;
  /** Asked about destructive plans when allowDestructive is not set; true goes ahead (the CLI asks on a terminal). */
  confirmDestructive?: ((plans: readonly { appliance: string; reason: string }[]) => Promise<boolean>) | undefined;
  /** Plan only: nothing is sent. */
  dryRun?: boolean | undefined;
  /** How the front end names the overrides, for the refusal's message. */
  names?: OverrideNames | undefined;
  /** Where each step is written before it is taken (a push recorded in the store); a refused write stops the run. */
  journal?: FleetJournal | undefined;
  /** What an earlier runner of this push left (fleet-resume.ts): the run carries it on instead of starting over. */
  resume?: FleetResume | undefined;
  /** Stops the run at once: nothing more is sent, nothing rolled back (whoever carries the push on does that). */
  signal?: AbortSignal | undefined;
}

export interface PlannedAppliance {
  name: string;
  /** The config id it runs. */
  before: string;
  change: boolean;
  canary: boolean;
  /** null when the agent cannot see the running table (SNMP, and a table it never pushed). */
  plan: Plan | null;
  /** Why the plan is destructive (it removes most services), or null. */
  destructive: string | null;
}

export type FleetStep =
  | { step: 'pushed'; appliance: string; before: string; after: string; canary: boolean }
  | { step: 'verified'; appliance: string }
  | { step: 'confirmed'; appliance: string; configId: string }
  | { step: 'failed'; appliance: string; error: string }
  | { step: 'rolled back'; appliance: string; before: string; after: string };

export interface FleetObserver {
  /** Once every appliance is planned, before anything is pushed. */
  onPlan?: (planned: readonly PlannedAppliance[]) => void;
  onStep?: (step: FleetStep, at: number) => void;
}

export type FleetResultKind = 'changed' | 'unchanged' | 'rolled back' | 'failed' | 'not pushed';

export interface FleetResult {
  name: string;
  /** What it ran before the push (null when planning could not tell). */
  before: string | null;
  /** What it runs at the end, as last seen (null when unknown). */
  after: string | null;
  result: FleetResultKind;
  error?: string;
}

export interface FleetPushReport {
  ok: boolean;
  configId: string;
  canary: string[];
  results: FleetResult[];
  rolledBack: string[];
  /** The appliance whose failure stopped the run, and why; `code` when the run was refused before anything was sent. */
  failure: { appliance: string; reason: string; code?: 'destructivePlan' } | null;
  /** A dry run: planned, nothing sent. */
  dryRun?: true;
  /** The run stopped before its end (its signal, or another process took the push over): it is not over. */
  interrupted?: true;
}
