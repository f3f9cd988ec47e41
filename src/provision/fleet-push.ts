/**
 * One rule table to many appliances, the way a careful operator does it by hand:
 *
 * 1. Plan everywhere first: what each appliance runs, whether it needs the change, the diff.
 *    An appliance with a commit still awaiting confirmation is not touched (someone is in the
 *    middle of a change there); any planning failure stops the run before anything is sent, and
 *    so does a plan that removes most of an appliance's services (push-guards.ts) unless allowed.
 *    A dry run stops here.
 * 2. Push to the canaries, each as a commit confirmed, and judge each one (push-checks.ts):
 *    counters are read over a settle time just before the push and again just after it, then
 *    the appliance must answer, run the pushed config, have lost no backend that was up, and
 *    still take connections on every service that took them before. Only then is it confirmed.
 * 3. The rest the same way, several at a time.
 *
 * The first failure stops the run: no further push starts, pushes under way end without being
 * confirmed, and every appliance this run changed is rolled back to what it ran before — the
 * confirmed ones too. An appliance found running something that is neither its old config nor
 * the pushed one was changed by someone else meanwhile and is left alone (and reported).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplianceDriver } from '../../drivers/driver.js';
import type { CountersSnapshot } from '../protocol/counters.js';
import { configId as configIdOf } from '../protocol/rules/index.js';
import type { RuleTable } from '../protocol/rules/model.js';
import type { ConfigCache } from '../store/config-cache.js';
import type { ApplianceRecord } from '../store/inventory.js';
import { checkFleetOptions, FLEET_CONCURRENCY } from './fleet-request.js';
import type { Plan } from './plan.js';
import { pushProblems } from './push-checks.js';
import { describePending, fleetDestructiveMessage, GENERIC_OVERRIDES, type OverrideNames } from './push-guards.js';
import { preflightPush } from './push-preflight.js';
import { confirmCommit, pushRules, rollbackConfig } from './push.js';

/** How the run reaches an appliance: one operation at a time per appliance (the API's DriverPool fits). */
export interface FleetAccess {
  use<T>(appliance: ApplianceRecord, work: (driver: ApplianceDriver) => Promise<T>): Promise<T>;
}

export interface FleetPushRequest {
  rules: RuleTable;
  /** In order: the first `canary` of those that need the change are the canaries. */
  targets: readonly ApplianceRecord[];
  canary: number;
  confirmTimeoutMs: number;
  settleMs: number;
  cache: ConfigCache;
  /** Appliances pushed at once after the canaries (default 8). */
  concurrency?: number;
  /** Push plans that remove every service or more than half of them on an appliance. */
  allowDestructive?: boolean | undefined;
  /** Asked about destructive plans when allowDestructive is not set; true goes ahead (the CLI asks on a terminal). */
  confirmDestructive?: ((plans: readonly { appliance: string; reason: string }[]) => Promise<boolean>) | undefined;
  /** Plan only: nothing is sent. */
  dryRun?: boolean | undefined;
  /** How the front end names the overrides, for the refusal's message. */
  names?: OverrideNames | undefined;
}

export interface PlannedAppliance {
  name: string;
  /** The config id it runs. */
  before: string;
  change: boolean;
  canary: boolean;
  /** null when the agent cannot see the running table (SNMP, and a table it never pushed). */
  plan: Plan | null;
  /** Why the plan is destructive (it removes most services), or null. */
  destructive: string | null;
}

export type FleetStep =
  | { step: 'pushed'; appliance: string; before: string; after: string; canary: boolean }
  | { step: 'verified'; appliance: string }
  | { step: 'confirmed'; appliance: string; configId: string }
  | { step: 'failed'; appliance: string; error: string }
  | { step: 'rolled back'; appliance: string; before: string; after: string };

export interface FleetObserver {
  /** Once every appliance is planned, before anything is pushed. */
  onPlan?: (planned: readonly PlannedAppliance[]) => void;
  onStep?: (step: FleetStep, at: number) => void;
}

export type FleetResultKind = 'changed' | 'unchanged' | 'rolled back' | 'failed' | 'not pushed';

export interface FleetResult {
  name: string;
  /** What it ran before the push (null when planning could not tell). */
  before: string | null;
  /** What it runs at the end, as last seen (null when unknown). */
  after: string | null;
  result: FleetResultKind;
  error?: string;
}

export interface FleetPushReport {
  ok: boolean;
  configId: string;
  canary: string[];
  results: FleetResult[];
  rolledBack: string[];
  /** The appliance whose failure stopped the run, and why; `code` when the run was refused before anything was sent. */
  failure: { appliance: string; reason: string; code?: 'destructivePlan' } | null;
  /** A dry run: planned, nothing sent. */
  dryRun?: true;
}

type State = 'planned' | 'unchanged' | 'pushing' | 'pending' | 'confirmed' | 'failed';

interface Entry {
  record: ApplianceRecord;
  state: State;
  before: string | null;
  canary: boolean;
  /** A push was sent: the appliance may run something else now. */
  sent: boolean;
  /** The appliance was seen running the pushed config. */
  changed: boolean;
  after: string | null;
  error: string | null;
  rolledBack: boolean;
  destructive: string | null;
}

const message = (err: unknown): string => (err instanceof Error ? err.message || err.name : String(err));

export async function pushToFleet(request: FleetPushRequest, access: FleetAccess, observer: FleetObserver = {}): Promise<FleetPushReport> {
  checkFleetOptions(request);
  return new FleetPushRun(request, access, observer).execute();
}

class FleetPushRun {
  private readonly entries: Entry[];
  private readonly wanted: string;
  private failure: FleetPushReport['failure'] = null;

  constructor(
    private readonly request: FleetPushRequest,
    private readonly access: FleetAccess,
    private readonly observer: FleetObserver,
  ) {
    this.wanted = configIdOf(request.rules);
    this.entries = request.targets.map((record) => ({
      record,
      state: 'planned',
      before: null,
      canary: false,
      sent: false,
      changed: false,
      after: null,
      error: null,
      rolledBack: false,
      destructive: null,
    }));
  }

  async execute(): Promise<FleetPushReport> {
    const plans = await this.planAll();
    if (this.failure) return this.report();
    const changing = this.entries.filter((e) => e.state === 'planned');
    changing.slice(0, this.request.canary).forEach((e) => (e.canary = true));
    this.observer.onPlan?.(
      this.entries.map((e, i) => ({
        name: e.record.name,
        before: e.before!,
        change: e.state === 'planned',
        canary: e.canary,
        plan: plans[i] ?? null,
        destructive: e.destructive,
      })),
    );
    if (this.request.dryRun === true) return { ...this.report(), dryRun: true };
    if (!(await this.destructiveAllowed(changing))) return this.report();
    await this.pushAll(changing.filter((e) => e.canary));
    if (!this.failure) await this.pushAll(changing.filter((e) => !e.canary));
    if (this.failure) await this.rollBackAll();
    return this.report();
  }

  /** Every appliance's running config and diff; records failures without stopping the others. */
  private async planAll(): Promise<(Plan | null)[]> {
    const plans: (Plan | null)[] = this.entries.map(() => null);
    await limited(this.entries, FLEET_CONCURRENCY, async (entry, i) => {
      try {
        plans[i] = await this.access.use(entry.record, async (d) => {
          const found = await preflightPush(d, this.request.rules, this.request.cache);
          entry.before = found.runningConfigId;
          entry.after = found.runningConfigId;
          if (found.pending !== null)
            throw new Error(`a commit confirmed is pending there: ${describePending(found.pending)}; confirm it or roll it back first`);
          entry.destructive = found.destructive;
          return found.upToDate ? null : found.plan;
        });
        entry.state = entry.before === this.wanted ? 'unchanged' : 'planned';
      } catch (err) {
        this.fail(entry, `planning: ${message(err)}`);
      }
    });
    // The first failure in target order is the one reported, whichever finished first.
    const first = this.entries.find((e) => e.state === 'failed');
    if (first) this.failure = { appliance: first.record.name, reason: first.error! };
    return plans;
  }

  /** True unless plans that remove most services are neither allowed nor confirmed; then the run is refused, nothing sent. */
  private async destructiveAllowed(changing: Entry[]): Promise<boolean> {
    const risky = changing.filter((e) => e.destructive !== null);
    if (risky.length === 0 || this.request.allowDestructive === true) return true;
    const plans = risky.map((e) => ({ appliance: e.record.name, reason: e.destructive! }));
    if ((await this.request.confirmDestructive?.(plans)) === true) return true;
    for (const e of risky) e.error = `the plan ${e.destructive!}`;
    const reason = fleetDestructiveMessage(
      plans.map((p) => p.appliance),
      this.request.names ?? GENERIC_OVERRIDES,
    );
    this.failure = { appliance: risky[0]!.record.name, reason, code: 'destructivePlan' };
    return false;
  }

  private async pushAll(entries: Entry[]): Promise<void> {
    const concurrency = this.request.concurrency ?? FLEET_CONCURRENCY;
    await limited(entries, concurrency, async (entry) => {
      if (this.failure) return;
      try {
        await this.pushOne(entry);
      } catch (err) {
        this.fail(entry, message(err));
      }
    });
  }

  private async pushOne(entry: Entry): Promise<void> {
    const { request } = this;
    const beforeStart = await this.access.use(entry.record, snapshot);
    await sleep(request.settleMs);
    if (this.failure) return;
    const { beforeEnd, afterStart, previous } = await this.access.use(entry.record, async (d) => {
      const beforeEnd = await snapshot(d);
      const info = await d.info();
      if (info.configId !== entry.before || info.pendingConfirm !== null) {
        throw new Error(
          `its config changed since planning (it runs ${info.configId.slice(0, 12)}${info.pendingConfirm !== null ? ', pending confirmation' : ''}): left alone`,
        );
      }
      entry.sent = true;
      entry.state = 'pushing';
      const result = await pushRules(d, { rules: request.rules, confirmTimeoutMs: request.confirmTimeoutMs, cache: request.cache });
      entry.state = 'pending';
      entry.changed = true;
      entry.after = result.configId;
      return { beforeEnd, afterStart: await snapshot(d), previous: result.previousConfigId };
    });
    this.step({ step: 'pushed', appliance: entry.record.name, before: previous, after: this.wanted, canary: entry.canary });
    if (this.failure) return;
    await sleep(request.settleMs);
    if (this.failure) return;
    const { info, afterEnd } = await this.access.use(entry.record, async (d) => ({ info: await d.info(), afterEnd: await snapshot(d) }));
    entry.after = info.configId;
    const problems = pushProblems({
      configId: this.wanted,
      info,
      before: { start: beforeStart.counters, end: beforeEnd.counters, seconds: (beforeEnd.at - beforeStart.at) / 1000 },
      after: { start: afterStart.counters, end: afterEnd.counters, seconds: (afterEnd.at - afterStart.at) / 1000 },
    });
    if (problems.length > 0) return this.fail(entry, problems.join('; '));
    this.step({ step: 'verified', appliance: entry.record.name });
    if (this.failure) return;
    const confirmed = await this.access.use(entry.record, (d) => confirmCommit(d));
    entry.state = 'confirmed';
    entry.after = confirmed.configId;
    this.step({ step: 'confirmed', appliance: entry.record.name, configId: confirmed.configId });
  }

  private async rollBackAll(): Promise<void> {
    await limited(
      this.entries.filter((e) => e.sent),
      FLEET_CONCURRENCY,
      (entry) => this.rollBack(entry),
    );
  }

  /** Puts back what the appliance ran before, if this run's push is what it runs now. */
  private async rollBack(entry: Entry): Promise<void> {
    const before = entry.before!;
    const name = entry.record.name;
    try {
      const outcome = await this.access.use(entry.record, async (d) => {
        const info = await d.info();
        if (info.configId === before) return { after: before, undone: false };
        if (info.configId !== this.wanted) return { after: info.configId, undone: false };
        return { after: (await rollbackConfig(d, 1)).configId, undone: true };
      });
      entry.after = outcome.after;
      if (outcome.after === before) {
        // A refused push changed nothing: there was nothing to roll back.
        entry.rolledBack = outcome.undone || entry.changed;
        if (outcome.undone) this.step({ step: 'rolled back', appliance: name, before: this.wanted, after: before });
        return;
      }
      const why = outcome.undone
        ? `rolling back made it run ${outcome.after.slice(0, 12)}, not ${before.slice(0, 12)} as before`
        : `it runs ${outcome.after.slice(0, 12)}, neither the pushed config nor the one before: left alone`;
      this.noteRollbackFailure(entry, why);
    } catch (err) {
      const pending =
        entry.state !== 'confirmed' ? `; the unconfirmed commit reverts by itself within ${Math.round(this.request.confirmTimeoutMs / 1000)} s` : '';
      this.noteRollbackFailure(entry, `rolling back failed: ${message(err)}${pending}`);
    }
  }

  private noteRollbackFailure(entry: Entry, why: string): void {
    entry.error = entry.error ? `${entry.error}; ${why}` : why;
    entry.state = 'failed';
    this.step({ step: 'failed', appliance: entry.record.name, error: why });
  }

  private fail(entry: Entry, error: string): void {
    entry.state = 'failed';
    entry.error = error;
    this.failure ??= { appliance: entry.record.name, reason: error };
    this.step({ step: 'failed', appliance: entry.record.name, error });
  }

  private step(step: FleetStep): void {
    try {
      this.observer.onStep?.(step, Date.now());
    } catch {
      // A display or a log that fails must not leave the fleet half changed.
    }
  }

  private report(): FleetPushReport {
    const results = this.entries.map((e): FleetResult => {
      const base = { name: e.record.name, before: e.before, after: e.after };
      if (e.state === 'failed') return { ...base, result: 'failed', error: e.error ?? 'failed' };
      if (e.rolledBack) return { ...base, result: 'rolled back' };
      if (e.state === 'unchanged') return { ...base, result: 'unchanged' };
      if (e.state === 'confirmed') return { ...base, result: 'changed' };
      return { ...base, result: 'not pushed', ...(e.error !== null ? { error: e.error } : {}) };
    });
    return {
      ok: this.failure === null,
      configId: this.wanted,
      canary: this.entries.filter((e) => e.canary).map((e) => e.record.name),
      results,
      rolledBack: this.entries.filter((e) => e.rolledBack).map((e) => e.record.name),
      failure: this.failure,
    };
  }
}

interface Snapshot {
  counters: CountersSnapshot;
  /** performance.now() when read. */
  at: number;
}

async function snapshot(d: ApplianceDriver): Promise<Snapshot> {
  const counters = await d.counters();
  return { counters, at: performance.now() };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function limited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
}
