/**
 * Changing what an appliance runs: plan (what a push would change), push (whole or as a patch,
 * optionally commit confirmed), confirm, rollback. Shared by the CLI and the HTTP API, which
 * differ only in how they report; every function here works on an open driver and leaves
 * closing it to the caller.
 */
import type { ApplianceDriver, CommitNoteText, PushResult } from '../../drivers/driver.js';
import { configId, decodeRules, encodeRules, parseDuration } from '../protocol/rules/index.js';
import { MAX_ROLLBACK_STEPS } from '../protocol/rules/limits.js';
import type { RuleTable } from '../protocol/rules/model.js';
import type { ConfigCache } from '../store/config-cache.js';
import { plan, type Plan } from './plan.js';

export type ProvisionErrorCode =
  /** A parameter is out of range (rollback steps, confirm timeout): nothing was sent. */
  | 'invalid'
  /** The appliance reports a config other than the one pushed. */
  | 'mismatch';

export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';

  constructor(
    readonly code: ProvisionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How far back a rollback may go; the appliance keeps this many earlier configs. */

/** Rollback steps as given (a number or its text) → 1..MAX_ROLLBACK_STEPS, else ProvisionError('invalid'). */
export function checkRollbackSteps(steps: unknown): number {
  const n = typeof steps === 'string' ? Number(steps) : steps;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ROLLBACK_STEPS) {
    throw new ProvisionError('invalid', `must be an integer 1..${MAX_ROLLBACK_STEPS}`);
  }
  return n;
}

/** A confirm timeout such as "5m" → ms (0: a plain commit), else ProvisionError('invalid') saying why. */
export function parseConfirmTimeout(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new ProvisionError('invalid', (err as Error).message);
  }
}

export interface RunningTable {
  configId: string;
  table: RuleTable;
}

/**
 * The running table: from the cache when the agent has seen that id, else read from the
 * appliance (and cached). `known` is its id when the caller has just asked (saves a round trip).
 */
export async function runningTable(driver: ApplianceDriver, cache: ConfigCache, known?: string): Promise<RunningTable> {
  const id = known ?? (await driver.info()).configId;
  const cached = cache.get(id);
  if (cached) return { configId: id, table: decodeRules(cached) };
  const bytes = await driver.readRunning();
  cache.put(bytes);
  return { configId: id, table: decodeRules(bytes) };
}

export interface PlannedChange {
  /** What the appliance runs now. */
  runningConfigId: string;
  /** What it would run after the push. */
  configId: string;
  plan: Plan;
}

/** What pushing `next` would change on the appliance, service by service. Changes nothing. */
export async function planChange(driver: ApplianceDriver, next: RuleTable, cache: ConfigCache): Promise<PlannedChange> {
  const running = await runningTable(driver, cache);
  return { runningConfigId: running.configId, configId: configId(next), plan: plan(running.table, next) };
}

export interface PushRequest {
  rules: RuleTable;
  /** > 0: commit confirmed, reverted by the appliance unless confirmed within this many ms. */
  confirmTimeoutMs?: number;
  /** Where the agent keeps tables by config id: a patch is sent when it has the running one. */
  cache: ConfigCache;
  onProgress?: (sent: number, total: number) => void;
  /** Who pushes and why: the appliance keeps it with the config in its history. */
  note?: CommitNoteText | undefined;
}

/**
 * Makes the appliance run `rules`, applied whole or not at all, then checks that it runs
 * exactly that config id (ProvisionError('mismatch') if not). The pushed table is cached, so
 * the next push to this appliance can be a patch against it.
 */
export async function pushRules(driver: ApplianceDriver, request: PushRequest): Promise<PushResult> {
  const encoding = encodeRules(request.rules);
  const result = await driver.push(encoding, {
    confirmTimeoutMs: request.confirmTimeoutMs ?? 0,
    baseFor: (id) => request.cache.get(id),
    onProgress: request.onProgress,
    note: request.note,
  });
  request.cache.put(encoding);
  const wanted = configId(request.rules);
  if (result.configId !== wanted) throw new ProvisionError('mismatch', `the appliance runs ${result.configId}, not ${wanted}`);
  return result;
}

/** Keeps a commit made with a confirm timeout. */
export function confirmCommit(driver: ApplianceDriver): Promise<{ configId: string }> {
  return driver.confirm();
}

/** Makes an earlier config run again (1 = the one before the current). */
export function rollbackConfig(driver: ApplianceDriver, steps: number, note?: CommitNoteText): Promise<{ configId: string }> {
  return driver.rollback(checkRollbackSteps(steps), note);
}
