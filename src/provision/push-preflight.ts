/**
 * A push to one appliance as every front end makes it (the CLI's `rules push --to`, the API's
 * push route): first what the push would do, read from the appliance — what it runs, whether a
 * commit is pending, the plan, how many bytes would go — then the rules of push-guards.ts, and
 * only then the push. A table already running is not sent at all: sending it again would only
 * add a history entry, and with a confirm timeout leave a pending commit to confirm for nothing.
 *
 * Invariant: a refusal (PushRefused) is thrown before anything is sent to the appliance.
 */
import type { ApplianceDriver, PushResult } from '../../drivers/driver.js';
import { DriverError } from '../../drivers/driver.js';
import { targetKind } from '../../drivers/targets.js';
import { configId, encodeRules } from '../protocol/rules/index.js';
import type { RuleTable } from '../protocol/rules/model.js';
import { computePatch } from '../protocol/rules/patch.js';
import type { ConfigCache } from '../store/config-cache.js';
import { plan, type Plan } from './plan.js';
import {
  destructiveMessage,
  destructiveReason,
  GENERIC_OVERRIDES,
  pendingCommitOf,
  pendingMessage,
  runningChangedMessage,
  type OverrideNames,
  type PendingCommit,
  type PushRefusalCode,
} from './push-guards.js';
import { pushRules, runningTable, type PushRequest } from './push.js';

export interface PushPreflight {
  runningConfigId: string;
  configId: string;
  /** The appliance runs this table already: a push sends nothing. */
  upToDate: boolean;
  pending: PendingCommit | null;
  /** The diff; null when the agent cannot see the running table (SNMP, and a table it never pushed or read). */
  plan: Plan | null;
  /** Services running now, and those the table would remove: from the plan, else from the appliance's counters. */
  runningServices: number;
  removed: { name: string; listen: string }[];
  /** Why the plan is destructive (push-guards.ts), or null. */
  destructive: string | null;
  /**
   * The table's canonical encoding, and the patch against the running table when one would go
   * instead (the agent has the running table, the transport takes patches, and the patch is
   * smaller). Payload only: the transport adds its framing.
   */
  bytes: { full: number; patch: number | null };
}

/** A push refused by push-guards.ts: nothing was sent; `preflight` has the plan and the pending commit to show. */
export class PushRefused extends Error {
  override readonly name = 'PushRefused';

  constructor(
    readonly code: PushRefusalCode,
    message: string,
    readonly preflight: PushPreflight,
  ) {
    super(message);
  }
}

const NO_CHANGES: Plan = { added: [], changed: [], removed: [] };

/** What pushing `rules` would do. Reads only; the running table is cached when it had to be read. */
export async function preflightPush(driver: ApplianceDriver, rules: RuleTable, cache: ConfigCache): Promise<PushPreflight> {
  const info = await driver.info();
  const encoding = encodeRules(rules);
  const wanted = configId(rules);
  const common = { runningConfigId: info.configId, configId: wanted, pending: pendingCommitOf(info) };
  if (info.configId === wanted) {
    return {
      ...common,
      upToDate: true,
      plan: NO_CHANGES,
      runningServices: rules.services.length,
      removed: [],
      destructive: null,
      bytes: { full: encoding.length, patch: null },
    };
  }
  const running = await runningOrNull(driver, cache, info.configId);
  const diff = running === null ? null : plan(running, rules);
  const { runningServices, removed } =
    diff !== null && running !== null ? { runningServices: running.services.length, removed: diff.removed } : await removedByCounters(driver, rules);
  // Mirrors the serial driver's choice: a patch goes when it has the base and the patch is smaller (SNMP and HAProxy take none).
  const base = targetKind(driver.target) === 'snmp' || targetKind(driver.target) === 'haproxy' ? null : cache.get(info.configId);
  const patch = base === null ? null : computePatch(base, encoding).length;
  return {
    ...common,
    upToDate: false,
    plan: diff,
    runningServices,
    removed,
    destructive: destructiveReason(removed.length, runningServices),
    bytes: { full: encoding.length, patch: patch !== null && patch < encoding.length ? patch : null },
  };
}

async function runningOrNull(driver: ApplianceDriver, cache: ConfigCache, id: string): Promise<RuleTable | null> {
  try {
    return (await runningTable(driver, cache, id)).table;
  } catch (err) {
    if (err instanceof DriverError && err.remote === 'unsupported') return null;
    throw err;
  }
}

/** Without the running table, its services' names still come with the counters (SNMP's service table). */
async function removedByCounters(driver: ApplianceDriver, rules: RuleTable): Promise<{ runningServices: number; removed: PushPreflight['removed'] }> {
  const { services } = await driver.counters();
  const kept = new Set(rules.services.map((s) => s.name));
  return { runningServices: services.length, removed: services.filter((s) => !kept.has(s.name)).map((s) => ({ name: s.name, listen: s.listen })) };
}

export interface CheckedPushRequest extends PushRequest {
  /** Push a plan that removes every service or more than half of them. */
  allowDestructive?: boolean | undefined;
  /** Push over a commit pending confirmation, replacing it. */
  replacePending?: boolean | undefined;
  /** Read and judge only: nothing is sent. */
  dryRun?: boolean | undefined;
  /**
   * The config id the table was made from (an edit of the running table): refused with
   * `runningChanged` when the appliance runs another one by now, so an edit never undoes a change
   * made in between.
   */
  expectRunning?: string | undefined;
  /** Asked about a destructive plan when allowDestructive is not set; true goes ahead (the CLI asks on a terminal). */
  confirmDestructive?: ((preflight: PushPreflight) => Promise<boolean>) | undefined;
  /** How the front end names the overrides, for the refusals' messages. */
  names?: OverrideNames | undefined;
}

export interface CheckedPush {
  /** pushed; unchanged: the appliance runs the table already, nothing sent; dryRun: nothing sent. */
  outcome: 'pushed' | 'unchanged' | 'dryRun';
  preflight: PushPreflight;
  result: PushResult | null;
  /** The pending commit this push replaced (replacePending), else null. */
  replaced: PendingCommit | null;
}

/** Preflight, the rules, then pushRules. Throws PushRefused before sending anything. */
export async function pushChecked(driver: ApplianceDriver, request: CheckedPushRequest): Promise<CheckedPush> {
  const preflight = await preflightPush(driver, request.rules, request.cache);
  const nothing = { preflight, result: null, replaced: null };
  if (request.expectRunning !== undefined && preflight.runningConfigId !== request.expectRunning)
    throw new PushRefused('runningChanged', runningChangedMessage(request.expectRunning, preflight.runningConfigId), preflight);
  if (preflight.upToDate) return { outcome: 'unchanged', ...nothing };
  if (request.dryRun === true) return { outcome: 'dryRun', ...nothing };
  const names = request.names ?? GENERIC_OVERRIDES;
  // The pending commit first: it is refused whatever the plan, so there is no point asking about the plan.
  if (preflight.pending !== null && request.replacePending !== true)
    throw new PushRefused('pendingCommit', pendingMessage(preflight.pending, names), preflight);
  if (preflight.destructive !== null && request.allowDestructive !== true && (await request.confirmDestructive?.(preflight)) !== true) {
    throw new PushRefused('destructivePlan', destructiveMessage(preflight.destructive, names), preflight);
  }
  const result = await pushRules(driver, request);
  return { outcome: 'pushed', preflight, result, replaced: preflight.pending };
}
