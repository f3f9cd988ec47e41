/**
 * One backend changed where it runs: its weight, or its state (enabled, drain, disabled) — what an
 * operator does from the dashboard or with `fulcrum rules set-backend`, without a rule file at
 * hand. The edit is made on the table the appliance runs (from the agent's cache, else read) and
 * goes through pushChecked, so it meets the guard rails, plan and audit of any push; over the
 * console it travels as a patch of a few bytes.
 *
 * Invariant: the edited table differs from the running one in that backend's weight or state
 * only, and it is pushed only if the appliance still runs the table it was made from (the push
 * is refused with `runningChanged` otherwise: someone else's change is never undone by an edit).
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import { BACKEND_STATES, canonicalEndpoint, canonicalProblems, formatPath, type BackendState, type RuleTable } from '../protocol/rules/index.js';
import { WEIGHT_MAX } from '../protocol/rules/limits.js';
import type { ConfigCache } from '../store/config-cache.js';
import { pushChecked, type CheckedPush, type CheckedPushRequest } from './push-preflight.js';
import { ProvisionError, runningTable } from './push.js';

export interface BackendEdit {
  /** The service's name. */
  service: string;
  /** The backend's address, in any spelling of it ("10.0.0.1:80", "[::1]:80"). */
  backend: string;
  weight?: number | undefined;
  state?: BackendState | undefined;
}

/** `table` with the one backend changed; ProvisionError('invalid') naming what is wrong. */
export function applyBackendEdit(table: RuleTable, edit: BackendEdit): RuleTable {
  if (edit.weight === undefined && edit.state === undefined) throw new ProvisionError('invalid', 'nothing to change: give a weight or a state');
  if (edit.weight !== undefined && !(Number.isInteger(edit.weight) && edit.weight >= 0 && edit.weight <= WEIGHT_MAX))
    throw new ProvisionError('invalid', `weight: must be an integer 0..${WEIGHT_MAX}, got ${String(edit.weight)}`);
  if (edit.state !== undefined && !BACKEND_STATES.includes(edit.state))
    throw new ProvisionError('invalid', `state: must be one of ${BACKEND_STATES.join(', ')}, got "${String(edit.state)}"`);
  const service = table.services.find((s) => s.name === edit.service);
  if (!service)
    throw new ProvisionError(
      'invalid',
      `service "${edit.service}" is not in the running table (${table.services.map((s) => s.name).join(', ') || 'no services'})`,
    );
  let address: string;
  try {
    address = canonicalEndpoint(edit.backend);
  } catch (err) {
    throw new ProvisionError('invalid', `backend "${edit.backend}": ${(err as Error).message}`);
  }
  if (!service.backends.some((b) => b.address === address))
    throw new ProvisionError(
      'invalid',
      `service "${service.name}" has no backend ${address} (it has ${service.backends.map((b) => b.address).join(', ') || 'none'})`,
    );
  const edited: RuleTable = {
    services: table.services.map((s) =>
      s !== service
        ? s
        : {
            ...s,
            backends: s.backends.map((b) => (b.address !== address ? b : { ...b, weight: edit.weight ?? b.weight, state: edit.state ?? b.state })),
          },
    ),
  };
  // A weight of 0 on the last weighted backend, say, is a table the appliance would refuse.
  const problem = canonicalProblems(edited)[0];
  if (problem) throw new ProvisionError('invalid', `the edited table would not be valid: ${formatPath(problem.path)}: ${problem.message}`);
  return edited;
}

export type BackendEditRequest = Omit<CheckedPushRequest, 'rules' | 'cache' | 'expectRunning'> & {
  edit: BackendEdit;
  cache: ConfigCache;
  /** Told the edited table before it is pushed (an interrupt report compares the appliance's id with it). */
  onEdited?: (rules: RuleTable) => void;
};

/** Reads the running table, applies the edit and pushes it (checked); `rules` is the edited table. */
export async function editBackend(driver: ApplianceDriver, request: BackendEditRequest): Promise<CheckedPush & { rules: RuleTable }> {
  const running = await runningTable(driver, request.cache);
  const rules = applyBackendEdit(running.table, request.edit);
  request.onEdited?.(rules);
  const checked = await pushChecked(driver, { ...request, rules, expectRunning: running.configId });
  return { ...checked, rules };
}
