/**
 * The operator mistakes a push refuses before anything is sent, whichever front end asked (the
 * CLI, the API, a fleet push): a plan that removes every service or more than half of them, a
 * confirm timeout too short to act on (5ms typed for 5m), and a push over a commit still
 * pending confirmation (it would silently confirm it, or restart its deadline). Each can be
 * overridden by a flag that says the operator means it; each front end only words the refusal.
 *
 * Invariant: every function here is pure; what the appliance runs is read in push-preflight.ts.
 */
import type { ApplianceInfo } from '../../drivers/driver.js';
import { ProvisionError, parseConfirmTimeout } from './push.js';

/**
 * Below this a commit confirmed reverts before anyone could look at the appliance, let alone
 * confirm: such a value is almost always a unit typed wrong. `force` allows it (tests, labs).
 */
export const MIN_CONFIRM_TIMEOUT_MS = 10_000;

/**
 * How each front end names the overrides, for its refusals to say what to add: a flag
 * (`--force`) or a body field (`force: true`).
 */
export interface OverrideNames {
  force: string;
  allowDestructive: string;
  replacePending: string;
}

export const GENERIC_OVERRIDES: OverrideNames = { force: 'force', allowDestructive: 'allowDestructive', replacePending: 'replacePending' };

/** A confirm timeout such as "5m" → ms (0: a plain commit); under MIN_CONFIRM_TIMEOUT_MS only with `force`. Throws ProvisionError('invalid'). */
export function checkConfirmTimeout(text: string, options: { force?: boolean | undefined; names?: OverrideNames } = {}): number {
  const ms = parseConfirmTimeout(text);
  if (ms > 0 && ms < MIN_CONFIRM_TIMEOUT_MS && options.force !== true) {
    const force = (options.names ?? GENERIC_OVERRIDES).force;
    throw new ProvisionError(
      'invalid',
      `${text} is too short: the appliance would revert before the commit could be checked and confirmed; give at least ${MIN_CONFIRM_TIMEOUT_MS / 1000} s (e.g. 5m), or add ${force} if you mean it`,
    );
  }
  return ms;
}

/**
 * Why removing `removed` of the `running` services is destructive, or null when it is not:
 * every service, or more than half of them. A table that keeps at least half is an edit; one
 * that keeps less is more likely the wrong file (or `services: []`) than a plan.
 */
export function destructiveReason(removed: number, running: number): string | null {
  if (running === 0 || removed === 0) return null;
  if (removed === running) return `removes every service (${removed} of ${running})`;
  if (removed * 2 > running) return `removes ${removed} of the ${running} services (more than half)`;
  return null;
}

/** A commit confirmed the appliance is waiting on: what it runs, and when it goes back by itself. */
export interface PendingCommit {
  configId: string;
  /** Seconds left when the agent asked. */
  seconds: number;
  /** When it reverts, ms since the epoch (as the agent's clock reckons it). */
  deadline: number;
}

export function pendingCommitOf(info: ApplianceInfo, now = Date.now()): PendingCommit | null {
  if (info.pendingConfirm === null) return null;
  return { configId: info.configId, seconds: info.pendingConfirm, deadline: now + info.pendingConfirm * 1000 };
}

/** `2025-06-01T12:34:56Z`: seconds are what the appliance reports, so milliseconds would be noise. */
export const deadlineText = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** "config ID, which reverts at T (in N s) unless confirmed". */
export function describePending(p: PendingCommit): string {
  return `config ${p.configId}, which reverts at ${deadlineText(p.deadline)} (in ${p.seconds} s) unless confirmed`;
}

export type PushRefusalCode =
  /** The plan removes every service or more than half of them; `allowDestructive` overrides. */
  | 'destructivePlan'
  /** A commit confirmed is pending on the appliance; `replacePending` overrides. */
  | 'pendingCommit'
  /** The table is an edit of a config the appliance no longer runs; nothing overrides it (edit again). */
  | 'runningChanged';

/** The refusal text of an edit made on a config that no longer runs. */
export function runningChangedMessage(editedFrom: string, running: string): string {
  return `the appliance runs ${running} now, not ${editedFrom} that the edit was made on: nothing was sent; look at what changed and edit again`;
}

/** The refusal text of a destructive plan. */
export function destructiveMessage(reason: string, names: OverrideNames): string {
  return `the plan ${reason}: refused, nothing was sent; add ${names.allowDestructive} if that is what you mean`;
}

/** The refusal text of a fleet push whose plan is destructive on `appliances`. */
export function fleetDestructiveMessage(appliances: readonly string[], names: OverrideNames): string {
  return `the plan removes most services on ${appliances.join(', ')} (every service, or more than half): refused, nothing was sent; add ${names.allowDestructive} if that is what you mean`;
}

/** The refusal text of a push over a pending commit. */
export function pendingMessage(p: PendingCommit, names: OverrideNames): string {
  return (
    `a commit confirmed is pending on the appliance: ${describePending(p)}. ` +
    'Pushing now would replace it (a plain push cancels its automatic revert for good, a commit confirmed restarts its deadline): refused, nothing was sent; ' +
    `confirm it or roll it back first, or add ${names.replacePending} to replace it`
  );
}
