/**
 * `fulcrum rules diff | push --to | confirm | set-backend`: one appliance's rule table (show,
 * history and rollback are in rules-read.ts). Every push
 * goes through pushChecked (src/provision/push-preflight.ts), so the CLI refuses exactly what the
 * API refuses; this file only words it for the terminal and picks the exit codes.
 */
import { DriverError, type ApplianceDriver, type PushResult } from '../../../drivers/driver.js';
import { checkConfirmTimeout, deadlineText, describePending } from '../../provision/push-guards.js';
import { pushChecked, PushRefused, type CheckedPush, type PushPreflight } from '../../provision/push-preflight.js';
import { confirmCommit, planChange, ProvisionError } from '../../provision/push.js';
import { editBackend } from '../../provision/backend-edit.js';
import { BACKEND_STATES, type BackendState } from '../../protocol/rules/model.js';
import { ConfigCache } from '../../store/config-cache.js';
import { configId } from '../../protocol/rules/index.js';
import { PushInterrupt } from '../push-interrupt.js';
import { askYesNo, canAsk } from '../ask.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { DelayedProgress } from '../progress.js';
import { renderPlan } from '../render-plan.js';
import { CLI_OVERRIDES, preflightJson, renderDryRun, renderPreflightPlan } from '../render-push.js';
import { readRules } from '../rules-input.js';
import { cliNote } from '../commit-note.js';
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
  /** A comment kept with the config in the appliance's history. */
  message?: string;
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
  const note = cliNote(opts.message);
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
  const interrupt = new PushInterrupt(configId(rules), opts.to);
  try {
    const request = {
      rules,
      confirmTimeoutMs,
      cache,
      onProgress: (sent: number, total: number) => progress.update(sent, total),
      names: CLI_OVERRIDES,
      confirmDestructive,
      note,
    };
    checked = await audited(pushAudit(opts), () =>
      onAppliance(opts, (d) => {
        interrupt.attach(d);
        return pushChecked(d, { ...request, allowDestructive: opts.allowDestructive, replacePending: opts.replacePending, dryRun: opts.dryRun });
      }),
    );
  } catch (err) {
    progress.stop();
    if (interrupt.fired) throw await interrupt.report(() => withDriver(opts, (d) => d.info()));
    if (err instanceof PushRefused) throw refused(err, opts.json === true, asked);
    throw err;
  } finally {
    progress.stop();
    interrupt.dispose();
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
  process.stdout.write(pushedText(r, opts, replaced, confirmTimeoutMs));
}

/** What a push that went out did, for a person. */
function pushedText(r: PushResult, opts: PushFlags, replaced: CheckedPush['replaced'], confirmTimeoutMs: number): string {
  return (
    `pushed ${r.mode === 'delta' ? 'a patch' : 'the full table'}${r.bytes > 0 ? `: ${r.bytes} bytes` : ''} in ${r.seconds.toFixed(2)}s\n` +
    `running ${r.configId}\n  (was ${r.previousConfigId})\n` +
    (replaced !== null ? `replaced the pending commit of ${replaced.configId} (it was to revert at ${deadlineText(replaced.deadline)})\n` : '') +
    (confirmTimeoutMs > 0 ? `commit confirmed: it reverts in ${opts.confirmTimeout} unless you run \`fulcrum rules confirm --to ${opts.to}\`\n` : '')
  );
}

export interface SetBackendFlags extends Omit<PushFlags, 'allowDestructive'> {
  weight?: string;
  state?: string;
}

/** `rules set-backend SERVICE BACKEND --to T --weight N | --state S`: src/provision/backend-edit.ts, worded as `rules push`. */
export async function setBackend(service: string, backend: string, opts: SetBackendFlags): Promise<void> {
  const weight = opts.weight === undefined ? undefined : flag('--weight', () => integerFlag(opts.weight!));
  if (opts.state !== undefined && !(BACKEND_STATES as readonly string[]).includes(opts.state))
    throw new CliError(`--state: expected one of ${BACKEND_STATES.join(', ')}, got "${opts.state}"`, EXIT.usage);
  const state = opts.state as BackendState | undefined;
  if (weight === undefined && state === undefined) throw new CliError('rules set-backend: give --weight N, --state S or both', EXIT.usage);
  const confirmTimeoutMs =
    opts.confirmTimeout === undefined
      ? 0
      : flag('--confirm-timeout', () => checkConfirmTimeout(opts.confirmTimeout!, { force: opts.force, names: CLI_OVERRIDES }));
  let checked: CheckedPush;
  // The edited table is made from the running one: its id is known only once that is read.
  const interrupt = new PushInterrupt(null, opts.to);
  try {
    checked = await audited(pushAudit(opts, { service, backend, weight, state }), () =>
      onAppliance(opts, (d) => {
        interrupt.attach(d);
        return editBackend(d, {
          edit: { service, backend, weight, state },
          cache: new ConfigCache(),
          confirmTimeoutMs,
          names: CLI_OVERRIDES,
          replacePending: opts.replacePending,
          dryRun: opts.dryRun,
          onEdited: (rules) => (interrupt.pushing = configId(rules)),
        });
      }),
    );
  } catch (err) {
    if (interrupt.fired) throw await interrupt.report(() => withDriver(opts, (d) => d.info()));
    if (err instanceof PushRefused) throw refused(err, opts.json === true, false);
    throw err;
  } finally {
    interrupt.dispose();
  }
  const { preflight: p, result } = checked;
  if (checked.outcome === 'unchanged') {
    if (opts.json) return printJson({ configId: p.configId, previousConfigId: p.runningConfigId, mode: 'none', bytes: 0, seconds: 0, unchanged: true });
    return void process.stdout.write(`${service} ${backend} is so already: running ${p.configId}, nothing was sent\n`);
  }
  if (checked.outcome === 'dryRun') {
    if (opts.json) return printJson({ dryRun: true, ...preflightJson(p) });
    return void process.stdout.write(`${renderDryRun(p)}\n`);
  }
  const r = result!;
  if (opts.json) return printJson(checked.replaced === null ? r : { ...r, replaced: checked.replaced });
  process.stdout.write(pushedText(r, opts, checked.replaced, confirmTimeoutMs));
}

function integerFlag(text: string): number {
  if (!/^\d+$/.test(text)) throw new ProvisionError('invalid', `expected a whole number, got "${text}"`);
  return Number(text);
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
    () => onAppliance(opts, (d) => confirmCommit(d).catch((err: unknown) => nothingPending(d, err))),
  );
  if (opts.json) printJson(r);
  else process.stdout.write(`confirmed ${r.configId}\n`);
}

/**
 * A confirm with no commit pending is nothing to act on (exit 6), not a refusal: it says what
 * runs, which tells a confirm that came too late (the commit reverted) from one made twice.
 */
async function nothingPending(d: ApplianceDriver, err: unknown): Promise<never> {
  if (!(err instanceof DriverError && err.remote === 'nothingToConfirm')) throw err;
  const running = (await d.info()).configId;
  throw new CliError(
    `nothing to confirm: no commit is pending; running ${running} (confirmed already, or a commit confirmed reverted by itself: fulcrum events)`,
    EXIT.nothingToDo,
  );
}
