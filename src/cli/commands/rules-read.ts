/**
 * `fulcrum rules show | history | rollback`: reading an appliance's configs back, and going back
 * to one. `show` prints a slot's table in the dialect operators write (src/rules/render.ts), so
 * `rules show … > f.yaml; rules id f.yaml` gives that slot's config id. `rollback N` prints its
 * plan (running → slot N) before it acts. Invariant: the table printed is the one decoded from
 * the appliance's canonical bytes, never a cached guess for a slot other than running.
 */
import { hasConfigSlots, type ApplianceDriver, type ConfigSlotChoice, type ConfigSlotsDriver } from '../../../drivers/driver.js';
import { targetKind } from '../../../drivers/targets.js';
import { configId, decodeRules, type RuleTable } from '../../protocol/rules/index.js';
import { plan, type Plan } from '../../provision/plan.js';
import { checkConfirmTimeout } from '../../provision/push-guards.js';
import { checkRollbackSteps, ProvisionError, pushRules, rollbackConfig, runningTable } from '../../provision/push.js';
import { renderRules, RULE_FORMATS, type RuleFormat } from '../../rules/index.js';
import { ConfigCache } from '../../store/config-cache.js';
import { audited, onTarget } from '../audit-cli.js';
import { cliNote } from '../commit-note.js';
import { withDriver, type TargetOptions } from '../connect.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';
import { renderPlan } from '../render-plan.js';
import { CLI_OVERRIDES } from '../render-push.js';

export interface ShowFlags extends TargetOptions {
  candidate?: boolean;
  startup?: boolean;
  rollback?: string;
  format?: string;
}

/** The slot the flags name: at most one of --candidate, --startup, --rollback N; none is running. */
function chosenSlot(opts: ShowFlags): ConfigSlotChoice | null {
  const given = [opts.candidate === true, opts.startup === true, opts.rollback !== undefined].filter(Boolean).length;
  if (given > 1) throw new CliError('rules show: give at most one of --candidate, --startup and --rollback N', EXIT.usage);
  if (opts.candidate) return { slot: 'candidate' };
  if (opts.startup) return { slot: 'startup' };
  if (opts.rollback !== undefined) return { slot: 'rollback', steps: stepsFlag('--rollback', opts.rollback) };
  return null;
}

function stepsFlag(name: string, text: string): number {
  try {
    return checkRollbackSteps(text);
  } catch (err) {
    if (err instanceof ProvisionError) throw new CliError(`${name}: ${err.message}`, EXIT.usage);
    throw err;
  }
}

function formatFlag(text: string | undefined): RuleFormat {
  const format = text ?? 'yaml';
  if (!(RULE_FORMATS as readonly string[]).includes(format)) throw new CliError(`--format: expected ${RULE_FORMATS.join(' or ')}, got "${format}"`, EXIT.usage);
  return format as RuleFormat;
}

/** The driver's slots, or a clear 'unsupported' for transports that read the running table only (SNMP). */
export function configSlots(d: ApplianceDriver, what: string): ConfigSlotsDriver {
  if (hasConfigSlots(d)) return d;
  const over = targetKind(d.target) === 'snmp' ? 'over SNMP (fulcrumRunning carries the running table only)' : `through ${d.target}`;
  throw new CliError(`${d.target}: reading ${what} is unsupported ${over}; read it over the serial console`, EXIT.refused);
}

function slotName(choice: ConfigSlotChoice): string {
  return choice.slot === 'rollback' ? `rollback ${choice.steps}` : `the ${choice.slot} config`;
}

async function readTable(d: ApplianceDriver, choice: ConfigSlotChoice | null): Promise<RuleTable> {
  if (choice === null) return (await runningTable(d, new ConfigCache())).table;
  return decodeRules(await configSlots(d, slotName(choice)).readSlot(choice));
}

/** `rules show --to T [--candidate|--startup|--rollback N] [--format yaml|json]`. */
export async function show(opts: ShowFlags): Promise<void> {
  const choice = chosenSlot(opts);
  const format = formatFlag(opts.format);
  const rules = await withDriver(opts, (d) => readTable(d, choice));
  process.stdout.write(renderRules(rules, { format }));
}

/** `rules history --to T`: the rollback slots, most recent first. */
export async function history(opts: TargetOptions & { json?: boolean }): Promise<void> {
  const entries = await withDriver(opts, async (d) => configSlots(d, 'the history').history());
  if (opts.json) return printJson({ history: entries.map((e) => ({ ...e, at: e.at === null ? null : new Date(e.at).toISOString() })) });
  if (entries.length === 0) return void process.stdout.write('no rollback history: nothing was committed before the running config\n');
  const rows = entries.map((e) => [e.steps, e.configId.slice(0, 12), e.at === null ? '-' : whenText(e.at), e.by || '-', e.comment]);
  process.stdout.write(`${table(['rollback', 'config id', 'when', 'by', 'comment'], rows, [0])}\n`);
}

/** Local time on a 24-hour clock, to the second. */
function whenText(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export interface RollbackFlags extends TargetOptions {
  json?: boolean;
  steps?: string;
  confirmTimeout?: string;
  force?: boolean;
  dryRun?: boolean;
  message?: string;
}

/**
 * `rules rollback [N] --to T [--confirm-timeout D] [--dry-run]`: the plan (running → slot N)
 * first, then the rollback. With --confirm-timeout, slot N is pushed as a commit confirmed (so it
 * reverts unless confirmed); without, the appliance's own rollback runs it as startup at once.
 */
export async function rollback(n: string | undefined, opts: RollbackFlags): Promise<void> {
  if (n !== undefined && opts.steps !== undefined && n !== opts.steps)
    throw new CliError(`rules rollback: N (${n}) and --steps ${opts.steps} disagree`, EXIT.usage);
  const steps = stepsFlag(n !== undefined ? 'N' : '--steps', n ?? opts.steps ?? '1');
  const confirmTimeoutMs =
    opts.confirmTimeout === undefined
      ? 0
      : flagged('--confirm-timeout', () => checkConfirmTimeout(opts.confirmTimeout!, { force: opts.force, names: CLI_OVERRIDES }));
  const note = cliNote(opts.message ?? `rollback ${steps}`);
  const r = await audited(
    onTarget('rules rollback', opts, (c: { configId: string }) => ({ configAfter: c.configId }), { steps, confirmTimeoutMs }),
    (audit) =>
      withDriver(opts, async (d) => {
        const cache = new ConfigCache();
        const running = await runningTable(d, cache);
        audit({ configBefore: running.configId });
        let target: RuleTable | null = null;
        if (hasConfigSlots(d)) target = decodeRules(await d.readSlot({ slot: 'rollback', steps }));
        else if (confirmTimeoutMs > 0 || opts.dryRun) configSlots(d, `rollback ${steps}`);
        const p: Plan | null = target === null ? null : plan(running.table, target);
        if (!opts.json) process.stdout.write(planText(running.configId, steps, target, p));
        if (opts.dryRun) return { dryRun: true, configId: configId(target!), previousConfigId: running.configId, plan: p };
        if (confirmTimeoutMs > 0) {
          const pushed = await pushRules(d, { rules: target!, confirmTimeoutMs, cache, note });
          return { configId: pushed.configId, previousConfigId: running.configId, plan: p, confirmTimeoutMs };
        }
        const done = await rollbackConfig(d, steps, note);
        return { configId: done.configId, previousConfigId: running.configId, plan: p };
      }),
  );
  if (opts.json) return printJson(r);
  if ('dryRun' in r) return void process.stdout.write('dry run: nothing was changed\n');
  process.stdout.write(`rolled back ${steps} step${steps === 1 ? '' : 's'}: running ${r.configId}\n`);
  if (confirmTimeoutMs > 0)
    process.stdout.write(`commit confirmed: it reverts in ${opts.confirmTimeout} unless you run \`fulcrum rules confirm --to ${opts.to}\`\n`);
}

function planText(runningId: string, steps: number, target: RuleTable | null, p: Plan | null): string {
  if (target === null || p === null) return `rollback ${steps}: the plan is not available over this transport (it cannot read rollback slots)\n`;
  return `running ${runningId.slice(0, 12)} → rollback ${steps} ${configId(target).slice(0, 12)}\n${renderPlan(p)}\n\n`;
}

function flagged<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ProvisionError) throw new CliError(`${name}: ${err.message}`, EXIT.usage);
    throw err;
  }
}
