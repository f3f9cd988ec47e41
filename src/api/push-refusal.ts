/**
 * How the push routes answer the refusals of src/provision/push-guards.ts: 409 with a stable
 * code (destructivePlan, pendingCommit, runningChanged) and, in `details`, what was found on the appliance, so a
 * client can show the plan or the pending commit and ask its user before trying again with the
 * override the message names.
 */
import type { OverrideNames } from '../provision/push-guards.js';
import { PushRefused } from '../provision/push-preflight.js';
import { ApiError } from './errors.js';

/** The body fields that override push-guards.ts, as its refusals name them. */
export const API_OVERRIDES: OverrideNames = { force: 'force: true', allowDestructive: 'allowDestructive: true', replacePending: 'replacePending: true' };

/** A PushRefused → the ApiError to answer with; anything else unchanged. */
export function fromPushRefusal(err: unknown): unknown {
  if (!(err instanceof PushRefused)) return err;
  const p = err.preflight;
  if (err.code === 'pendingCommit') {
    const pending = p.pending!;
    return new ApiError(409, err.code, err.message, { configId: pending.configId, pendingConfirm: pending.seconds, confirmBy: pending.deadline });
  }
  if (err.code === 'runningChanged') return new ApiError(409, err.code, err.message, { runningConfigId: p.runningConfigId });
  const { runningConfigId, configId, plan, runningServices, removed, destructive } = p;
  return new ApiError(409, err.code, err.message, { runningConfigId, configId, plan, runningServices, removed, reason: destructive });
}
