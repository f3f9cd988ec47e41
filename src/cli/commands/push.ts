import type { ApplianceDriver } from '../../../drivers/driver.js';
import { checkRollbackSteps, confirmCommit, parseConfirmTimeout, planChange, ProvisionError, pushRules, rollbackConfig } from '../../provision/push.js';
import { ConfigCache } from '../../store/config-cache.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { DelayedProgress } from '../progress.js';
import { renderPlan } from '../render-plan.js';
import { readRules } from '../rules-input.js';
import { withDriver, type TargetOptions } from '../connect.js';

/** withDriver, with the agent's own refusals (a config that does not match) as exit codes too. */
async function onAppliance<T>(opts: TargetOptions, work: (d: ApplianceDriver) => Promise<T>): Promise<T> {
  try {
    return await withDriver(opts, work);
  } catch (err) {
    if (err instanceof ProvisionError) throw new CliError(err.message, err.code === 'invalid' ? EXIT.usage : EXIT.failure);
    throw err;
  }
}

/** A flag's value checked by `check`; its complaint becomes a usage error naming the flag. */
function flag<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ProvisionError) throw new CliError(`${name}: ${err.message}`, EXIT.usage);
    throw err;
  }
}

export async function diff(file: string, opts: TargetOptions & { json?: boolean }): Promise<void> {
  const next = readRules(file);
  const cache = new ConfigCache();
  const { plan: p } = await onAppliance(opts, (d) => planChange(d, next, cache));
  if (opts.json) printJson(p);
  else process.stdout.write(`${renderPlan(p)}\n`);
}

export async function push(file: string, opts: TargetOptions & { json?: boolean; confirmTimeout?: string }): Promise<void> {
  const confirmTimeoutMs = opts.confirmTimeout === undefined ? 0 : flag('--confirm-timeout', () => parseConfirmTimeout(opts.confirmTimeout!));
  const rules = readRules(file);
  const cache = new ConfigCache();
  const progress = new DelayedProgress('pushing', !opts.json && process.stderr.isTTY === true);
  let result;
  try {
    result = await onAppliance(opts, (d) => pushRules(d, { rules, confirmTimeoutMs, cache, onProgress: (sent, total) => progress.update(sent, total) }));
  } finally {
    progress.stop();
  }
  if (opts.json) return printJson(result);
  process.stdout.write(
    `pushed ${result.mode === 'delta' ? 'a patch' : 'the full table'}${result.bytes > 0 ? `: ${result.bytes} bytes` : ''} in ${result.seconds.toFixed(2)}s\n` +
      `running ${result.configId}\n  (was ${result.previousConfigId})\n` +
      (confirmTimeoutMs > 0 ? `commit confirmed: it reverts in ${opts.confirmTimeout} unless you run \`fulcrum rules confirm --to ${opts.to}\`\n` : ''),
  );
}

export async function confirm(opts: TargetOptions & { json?: boolean }): Promise<void> {
  const r = await onAppliance(opts, (d) => confirmCommit(d));
  if (opts.json) printJson(r);
  else process.stdout.write(`confirmed ${r.configId}\n`);
}

export async function rollback(opts: TargetOptions & { json?: boolean; steps: string }): Promise<void> {
  const steps = flag('--steps', () => checkRollbackSteps(opts.steps));
  const r = await onAppliance(opts, (d) => rollbackConfig(d, steps));
  if (opts.json) printJson(r);
  else process.stdout.write(`rolled back ${steps} step${steps === 1 ? '' : 's'}: running ${r.configId}\n`);
}
