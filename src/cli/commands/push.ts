/**
 * `fulcrum rules diff | push --to | confirm | rollback`: one appliance's rule table. Every push
 * goes through pushChecked (src/provision/push-preflight.ts), so the CLI refuses exactly what the
 * API refuses; this file only words it for the terminal and picks the exit codes.
 */
import type { ApplianceDriver } from '../../../drivers/driver.js';
import { checkConfirmTimeout, deadlineText, describePending } from '../../provision/push-guards.js';
import { pushChecked, PushRefused, type CheckedPush, type PushPreflight } from '../../provision/push-preflight.js';
import { checkRollbackSteps, confirmCommit, planChange, ProvisionError, rollbackConfig } from '../../provision/push.js';
import { ConfigCache } from '../../store/config-cache.js';
import { askYesNo, canAsk } from '../ask.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { DelayedProgress } from '../progress.js';
import { renderPlan } from '../render-plan.js';
import { CLI_OVERRIDES, preflightJson, renderDryRun, renderPreflightPlan } from '../render-push.js';
import { readRules } from '../rules-input.js';
import { withDriver, type TargetOptions } from '../connect.js';
import { audited, onTarget, pushAudit } from '../audit-cli.js';

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

export interface PushFlags extends TargetOptions {
  json?: boolean;
  confirmTimeout?: string;
  /** A confirm timeout under 10 s. */
  force?: boolean;
  allowDestructive?: boolean;
  replacePending?: boolean;
  dryRun?: boolean;
}

/**
 * `rules push FILE --to T`: pushChecked (src/provision/push-preflight.ts) reported for a person
 * or a script. A refused push exits 3 (a destructive plan: the table is most likely the wrong
 * one) or 5 (a pending commit: the appliance's state refuses it), printing what was found.
 */
export async function push(file: string, opts: PushFlags): Promise<void> {
  const confirmTimeoutMs =
    opts.confirmTimeout === undefined
      ? 0
      : flag('--confirm-timeout', () => checkConfirmTimeout(opts.confirmTimeout!, { force: opts.force, names: CLI_OVERRIDES }));
  const rules = readRules(file);
  const cache = new ConfigCache();
  const progress = new DelayedProgress('pushing', !opts.json && process.stderr.isTTY === true);
  let asked = false;
  const confirmDestructive = canAsk(file)
    ? (p: PushPreflight) => {
        asked = true;
        process.stderr.write(`${renderPreflightPlan(p)}\n\n`);
        return askYesNo(`The plan ${p.destructive}. Push it anyway?`);
      }
    : undefined;
  let checked: CheckedPush;
  try {
    const request = {
      rules,
      confirmTimeoutMs,
      cache,
      onProgress: (sent: number, total: number) => progress.update(sent, total),
      names: CLI_OVERRIDES,
      confirmDestructive,
    };
    checked = await audited(pushAudit(opts), () =>
      onAppliance(opts, (d) =>
        pushChecked(d, { ...request, allowDestructive: opts.allowDestructive, replacePending: opts.replacePending, dryRun: opts.dryRun }),
      ),
    );
  } catch (err) {
    if (err instanceof PushRefused) throw refused(err, opts.json === true, asked);
    throw err;
  } finally {
    progress.stop();
  }
  const { preflight: p, result, replaced } = checked;
  if (checked.outcome === 'unchanged') {
    const pending = p.pending === null ? '' : `\nit is a commit confirmed still pending: ${describePending(p.pending)} (fulcrum rules confirm --to ${opts.to})`;
    if (opts.json)
      return printJson({ configId: p.configId, previousConfigId: p.runningConfigId, mode: 'none', bytes: 0, seconds: 0, unchanged: true, pending: p.pending });
    return void process.stdout.write(`already running ${p.configId}: nothing was sent${pending}\n`);
  }
  if (checked.outcome === 'dryRun') {
    if (opts.json) return printJson({ dryRun: true, ...preflightJson(p) });
    return void process.stdout.write(`${renderDryRun(p)}\n`);
  }
  const r = result!;
  if (opts.json) return printJson(replaced === null ? r : { ...r, replaced });
  process.stdout.write(
    `pushed ${r.mode === 'delta' ? 'a patch' : 'the full table'}${r.bytes > 0 ? `: ${r.bytes} bytes` : ''} in ${r.seconds.toFixed(2)}s\n` +
      `running ${r.configId}\n  (was ${r.previousConfigId})\n` +
      (replaced !== null ? `replaced the pending commit of ${replaced.configId} (it was to revert at ${deadlineText(replaced.deadline)})\n` : '') +
      (confirmTimeoutMs > 0 ? `commit confirmed: it reverts in ${opts.confirmTimeout} unless you run \`fulcrum rules confirm --to ${opts.to}\`\n` : ''),
  );
}

/** A refusal: what was found on stdout (the plan, unless the question just showed it), the reason as the error. */
function refused(err: PushRefused, json: boolean, asked: boolean): CliError {
  if (json) printJson({ refused: err.code, reason: err.message, ...preflightJson(err.preflight) });
  else if (err.code === 'destructivePlan' && !asked) process.stdout.write(`${renderPreflightPlan(err.preflight)}\n`);
  return new CliError(err.message, err.code === 'destructivePlan' ? EXIT.invalidInput : EXIT.refused);
}

export async function confirm(opts: TargetOptions & { json?: boolean }): Promise<void> {
  const r = await audited(
    onTarget('rules confirm', opts, (c: { configId: string }) => ({ configBefore: c.configId, configAfter: c.configId })),
    () => onAppliance(opts, (d) => confirmCommit(d)),
  );
  if (opts.json) printJson(r);
  else process.stdout.write(`confirmed ${r.configId}\n`);
}

export async function rollback(opts: TargetOptions & { json?: boolean; steps: string }): Promise<void> {
  const steps = flag('--steps', () => checkRollbackSteps(opts.steps));
  const r = await audited(
    onTarget('rules rollback', opts, (c: { configId: string }) => ({ configAfter: c.configId }), { steps }),
    (note) =>
      onAppliance(opts, async (d) => {
        note({ configBefore: (await d.info()).configId });
        return rollbackConfig(d, steps);
      }),
  );
  if (opts.json) printJson(r);
  else process.stdout.write(`rolled back ${steps} step${steps === 1 ? '' : 's'}: running ${r.configId}\n`);
}
