/**
 * `fulcrum rules push FILE --all | --targets A,B,…`: one rule table to many appliances of the
 * inventory, canaries first, each push confirmed only once the appliance is judged healthy,
 * and everything this run changed rolled back on the first failure (src/provision/fleet-push.ts).
 * Option values that are wrong exit 2; an invalid table, names not in the inventory or a plan
 * that removes most services of an appliance (without --allow-destructive) exit 3, nothing sent;
 * a failure (after the rollback) exits 1. --dry-run plans everywhere and stops.
 */
import type { ApplianceDriver } from '../../../drivers/driver.js';
import { configId, parseDuration } from '../../protocol/rules/index.js';
import { pushToFleet, type FleetAccess } from '../../provision/fleet-push.js';
import {
  checkFleetOptions,
  DEFAULT_CANARIES,
  DEFAULT_FLEET_CONFIRM_MS,
  DEFAULT_SETTLE_MS,
  FleetPushError,
  resolveFleetTargets,
} from '../../provision/fleet-request.js';
import { connectTarget, storedCredentials } from '../../provision/connect.js';
import type { ApplianceRecord } from '../../store/inventory.js';
import { ConfigCache } from '../../store/config-cache.js';
import { fromFlags } from '../connect.js';
import { audited, fleetPushAudit } from '../audit-cli.js';
import { CliError, EXIT } from '../exit-codes.js';
import { askYesNo, canAsk } from '../ask.js';
import { printJson } from '../output.js';
import { describeStep, renderFleetPlan, renderFleetReport } from '../render-fleet-push.js';
import { CLI_OVERRIDES } from '../render-push.js';
import { readRules } from '../rules-input.js';

export interface FleetPushOptions {
  all?: boolean;
  targets?: string;
  canary?: string;
  settle?: string;
  confirmTimeout?: string;
  allowDestructive?: boolean;
  dryRun?: boolean;
  json?: boolean;
  db?: string;
  community?: string;
  v3User?: string;
  v3Auth?: string;
  v3Priv?: string;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`, EXIT.usage);
  }
}

function parseCanary(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CANARIES;
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new CliError(`--canary: expected a number of appliances from 1, got ${JSON.stringify(text)}`, EXIT.usage);
  return Number(text);
}

function parseTargets(opts: FleetPushOptions): readonly string[] | 'all' {
  if (opts.all) return 'all';
  const names = (opts.targets ?? '').split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new CliError(`--targets: ${JSON.stringify(opts.targets)} has an empty name; write A,B,C`, EXIT.usage);
  return names;
}

/** A driver per operation, closed after it: the run never holds more consoles open than it works on. */
function openPerUse(credentialFlags: ReturnType<typeof fromFlags>): FleetAccess {
  return {
    async use<T>(record: ApplianceRecord, work: (d: ApplianceDriver) => Promise<T>): Promise<T> {
      const driver = await connectTarget(record.target, credentialFlags ?? storedCredentials(record.credentials));
      try {
        return await work(driver);
      } finally {
        await driver.close().catch(() => undefined);
      }
    },
  };
}

async function inventoryTargets(opts: FleetPushOptions, targets: readonly string[] | 'all'): Promise<ApplianceRecord[]> {
  const { openStore } = await import('../../store/index.js');
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    return await resolveFleetTargets(store.inventory, targets);
  } catch (err) {
    if (err instanceof FleetPushError) throw new CliError(err.message, EXIT.invalidInput);
    throw err;
  } finally {
    await store.close();
  }
}

export async function fleetPush(file: string, opts: FleetPushOptions): Promise<void> {
  // Every option is checked before the table is read or an appliance is touched.
  const targets = parseTargets(opts);
  const canary = parseCanary(opts.canary);
  const settleMs = opts.settle === undefined ? DEFAULT_SETTLE_MS : duration('--settle', opts.settle);
  const confirmTimeoutMs = opts.confirmTimeout === undefined ? DEFAULT_FLEET_CONFIRM_MS : duration('--confirm-timeout', opts.confirmTimeout);
  try {
    checkFleetOptions({ canary, settleMs, confirmTimeoutMs });
  } catch (err) {
    if (err instanceof FleetPushError) throw new CliError(`--${err.message.replace(/^confirm timeout/, 'confirm-timeout')}`, EXIT.usage);
    throw err;
  }
  const credentials = fromFlags(opts);
  const rules = readRules(file);
  const records = await inventoryTargets(opts, targets);

  const human = !opts.json;
  const settleSeconds = settleMs / 1000;
  const guards = {
    allowDestructive: opts.allowDestructive,
    dryRun: opts.dryRun,
    names: CLI_OVERRIDES,
    // The plan was just printed (onPlan): the question only has to name the appliances.
    confirmDestructive: canAsk(file)
      ? (plans: readonly { appliance: string }[]) => askYesNo(`The plan removes most services on ${plans.map((p) => p.appliance).join(', ')}. Push it anyway?`)
      : undefined,
  };
  let destructive: string[] = [];
  const report = await audited(fleetPushAudit(opts), () =>
    pushToFleet({ rules, targets: records, canary, settleMs, confirmTimeoutMs, cache: new ConfigCache(), ...guards }, openPerUse(credentials), {
      onPlan: (planned) => {
        destructive = planned.filter((p) => p.change && p.destructive !== null).map((p) => p.name);
        if (human) process.stdout.write(`${renderFleetPlan(configId(rules), planned)}\n\n`);
      },
      onStep: (step) => {
        if (human) process.stdout.write(`${describeStep(step, settleSeconds)}\n`);
      },
    }),
  );
  if (opts.json) printJson(report);
  else if (report.dryRun === true) {
    const warning =
      destructive.length === 0
        ? ''
        : `a push now would be refused: the plan removes most services on ${destructive.join(', ')}; add ${CLI_OVERRIDES.allowDestructive} if that is what you mean\n`;
    process.stdout.write(`${warning}dry run: nothing was sent\n`);
  }
  // Refused before anything was sent: the plan above says it all.
  else if (report.failure?.code !== 'destructivePlan') process.stdout.write(`\n${renderFleetReport(report)}\n`);
  if (report.failure?.code === 'destructivePlan') throw new CliError(`fleet push refused: ${report.failure.reason}`, EXIT.invalidInput);
  if (!report.ok) {
    const { appliance, reason } = report.failure!;
    const leftChanged = report.results.filter((r) => r.after !== r.before).map((r) => r.name);
    const undone =
      (report.rolledBack.length > 0 ? `; rolled back: ${report.rolledBack.join(', ')}` : '') +
      (leftChanged.length > 0
        ? `; NOT back to their previous config: ${leftChanged.join(', ')}`
        : report.rolledBack.length === 0
          ? '; nothing was changed'
          : '');
    throw new CliError(`fleet push failed on ${appliance}: ${reason}${undone}`, EXIT.failure);
  }
}
