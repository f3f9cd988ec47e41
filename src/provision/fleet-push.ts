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
 *
 * With a journal (a push recorded in the store), each step is written before it is taken — the
 * plan in one write, a target `pushing` with the counters it is judged against before its push
 * is sent — and the lease is asked for right before every confirm and rollback; a refused write
 * stops the run without another act. Given what an earlier runner left (`resume`), the run
 * carries it on rather than starting over (fleet-resume.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplianceDriver } from '../../drivers/driver.js';
import { decodeCounters, encodeCounters, type CountersSnapshot } from '../protocol/counters.js';
import { configId as configIdOf } from '../protocol/rules/index.js';
import type { FleetBaseline, FleetTargetChange, FleetTargetRecord } from '../store/fleet-pushes.js';
import type { ApplianceRecord } from '../store/inventory.js';
import { checkFleetOptions, FLEET_CONCURRENCY } from './fleet-request.js';
import type { Plan } from './plan.js';
import { planningRecorded, resumeAction, type FleetJournal } from './fleet-resume.js';
import { pushProblems, type CounterWindow } from './push-checks.js';
import { describePending, fleetDestructiveMessage, GENERIC_OVERRIDES } from './push-guards.js';
import { preflightPush } from './push-preflight.js';
import { confirmCommit, pushRules, rollbackConfig } from './push.js';

import type { FleetAccess, FleetPushRequest, FleetStep, FleetObserver, FleetResult, FleetPushReport } from './fleet-push-types.js';

export type {
  FleetAccess,
  FleetPushRequest,
  PlannedAppliance,
  FleetStep,
  FleetObserver,
  FleetResultKind,
  FleetResult,
  FleetPushReport,
} from './fleet-push-types.js';

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
  /** Pushed by an earlier runner of this push and not recorded confirmed: read again first (fleet-resume.ts). */
  resumed: boolean;
  /** The counters judged against, recorded just before its push. */
  baseline: FleetBaseline | null;
}

const message = (err: unknown): string => (err instanceof Error ? err.message || err.name : String(err));

export async function pushToFleet(request: FleetPushRequest, access: FleetAccess, observer: FleetObserver = {}): Promise<FleetPushReport> {
  checkFleetOptions(request);
  return new FleetPushRun(request, access, observer).execute();
}

const fresh = (record: ApplianceRecord): Entry => ({
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
  resumed: false,
  baseline: null,
});

/** An entry as the dead runner left it (fleet-resume.ts). */
function recorded(record: ApplianceRecord, t: FleetTargetRecord): Entry {
  const state: State = t.state === 'pushing' ? 'pending' : t.state === 'rolled back' || t.state === 'waiting' ? 'planned' : t.state;
  return {
    ...fresh(record),
    state,
    before: t.before,
    canary: t.canary,
    sent: t.sent,
    changed: t.sent,
    after: t.after,
    error: t.error,
    rolledBack: t.state === 'rolled back',
    resumed: t.state === 'pushing',
    baseline: t.baseline,
  };
}

class FleetPushRun {
  private readonly entries: Entry[];
  private readonly wanted: string;
  private failure: FleetPushReport['failure'] = null;
  /** The journal refused a write: another process runs this push now. */
  private refused = false;
  /** Carrying on what an earlier runner of this push planned (fleet-resume.ts). */
  private readonly resumed: boolean;

  constructor(
    private readonly request: FleetPushRequest,
    private readonly access: FleetAccess,
    private readonly observer: FleetObserver,
  ) {
    this.wanted = configIdOf(request.rules);
    const resume = request.resume && planningRecorded(request.resume) ? request.resume : null;
    const rows = new Map(resume?.targets.map((t) => [t.appliance, t]));
    this.entries = request.targets.map((record) => {
      const row = rows.get(record.name);
      return row ? recorded(record, row) : fresh(record);
    });
    this.resumed = resume !== null;
    // A target recorded failed is a failure even if the runner died before recording the run's.
    const failed = resume?.targets.find((t) => t.state === 'failed');
    if (resume) this.failure = resume.failure ?? (failed ? { appliance: failed.appliance, reason: failed.error ?? 'failed' } : null);
  }

  /** This run must act no further: interrupted, or another process took the push over. */
  private get stopped(): boolean {
    return this.refused || this.request.signal?.aborted === true;
  }

  private get halted(): boolean {
    return this.failure !== null || this.stopped;
  }

  async execute(): Promise<FleetPushReport> {
    if (!this.resumed) {
      const planned = await this.plan();
      if (planned === 'dryRun') return { ...this.report(), dryRun: true };
      if (planned === 'stop') return this.report();
    }
    const changing = this.entries.filter((e) => e.state === 'planned' || e.resumed);
    if (!this.halted) await this.pushAll(changing.filter((e) => e.canary));
    if (!this.halted) await this.pushAll(changing.filter((e) => !e.canary));
    if (this.failure && !this.stopped) await this.rollBackAll();
    return this.report();
  }

  /** Plans, reports the plan, applies the guards and records the plan: whether the run goes on to push. */
  private async plan(): Promise<'push' | 'stop' | 'dryRun'> {
    const plans = await this.planAll();
    const changing = this.entries.filter((e) => e.state === 'planned');
    if (!this.failure) {
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
    }
    if (this.request.dryRun === true && !this.failure) return 'dryRun';
    if (!this.failure) await this.destructiveAllowed(changing);
    // One write for every target: an adopter finds either the whole plan or none (and plans again).
    const planned = this.entries.map((e): FleetTargetChange => ({
      appliance: e.record.name,
      state: e.state === 'failed' || e.state === 'unchanged' ? e.state : 'planned',
      before: e.before,
      after: e.after,
      canary: e.canary,
      error: e.error,
    }));
    if (!(await this.journal((j) => j.record(planned)))) return 'stop';
    if (this.failure) await this.journal((j) => j.fail(this.failure!));
    return this.failure ? 'stop' : 'push';
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
        entry.state = 'failed';
        entry.error = `planning: ${message(err)}`;
      }
    });
    // The first failure in target order is the one reported, whichever finished first.
    for (const e of this.entries.filter((x) => x.state === 'failed')) this.noteFailure(e, e.error!);
    return plans;
  }

  /** False (the run refused, nothing sent) when plans that remove most services are neither allowed nor confirmed. */
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
      if (this.halted) return;
      try {
        await (entry.resumed ? this.resumeOne(entry) : this.pushOne(entry));
      } catch (err) {
        await this.fail(entry, message(err));
      }
    });
  }

  /** A target the earlier runner pushed and did not record confirmed (fleet-resume.ts). */
  private async resumeOne(entry: Entry): Promise<void> {
    const info = await this.access.use(entry.record, (d) => d.info());
    const next = resumeAction(entry, info, this.wanted, this.request.settleMs);
    entry.after = info.configId;
    entry.resumed = false;
    if (next.action === 'leftAlone') return this.fail(entry, next.reason);
    if (next.action === 'confirmed') return this.confirmed(entry, info.configId);
    if (next.action === 'check') {
      entry.state = 'pending';
      entry.changed = true;
      const baseline = entry.baseline!;
      const before = { start: decodeCounters(baseline.start), end: decodeCounters(baseline.end), seconds: baseline.seconds };
      return this.judgeAndConfirm(entry, before, await this.access.use(entry.record, snapshot));
    }
    if (next.action === 'revert') {
      if (!(await this.journal((j) => j.held()))) return;
      const back = await this.access.use(entry.record, (d) => rollbackConfig(d, 1));
      this.step({ step: 'rolled back', appliance: entry.record.name, before: this.wanted, after: back.configId });
      entry.after = back.configId;
      if (back.configId !== entry.before)
        throw new Error(`rolling back its pending commit (${next.why}) made it run ${short(back.configId)}, not ${short(entry.before!)}`);
    }
    entry.state = 'planned';
    return this.pushOne(entry);
  }

  private async pushOne(entry: Entry): Promise<void> {
    const { request } = this;
    const beforeStart = await this.access.use(entry.record, snapshot);
    await sleep(request.settleMs);
    if (this.halted) return;
    const sent = await this.access.use(entry.record, async (d) => {
      const beforeEnd = await snapshot(d);
      const info = await d.info();
      if (info.configId !== entry.before || info.pendingConfirm !== null) {
        throw new Error(
          `its config changed since planning (it runs ${short(info.configId)}${info.pendingConfirm !== null ? ', pending confirmation' : ''}): left alone`,
        );
      }
      const seconds = (beforeEnd.at - beforeStart.at) / 1000;
      // Recorded before it is sent: whoever carries this push on knows it may have landed, and what to judge it against.
      const baseline = baselineOf(beforeStart.counters, beforeEnd.counters, seconds);
      if (!(await this.journal((j) => j.record([{ appliance: entry.record.name, state: 'pushing', sent: true, baseline }])))) return null;
      entry.sent = true;
      entry.state = 'pushing';
      const result = await pushRules(d, { rules: request.rules, confirmTimeoutMs: request.confirmTimeoutMs, cache: request.cache });
      entry.state = 'pending';
      entry.changed = true;
      entry.after = result.configId;
      return { before: { start: beforeStart.counters, end: beforeEnd.counters, seconds }, afterStart: await snapshot(d), previous: result.previousConfigId };
    });
    if (sent === null) return;
    this.step({ step: 'pushed', appliance: entry.record.name, before: sent.previous, after: this.wanted, canary: entry.canary });
    if (this.halted) return;
    await this.judgeAndConfirm(entry, sent.before, sent.afterStart);
  }

  /** Watches the appliance for the settle time after its push, judges it against the window before, and confirms it if healthy. */
  private async judgeAndConfirm(entry: Entry, before: CounterWindow, afterStart: Snapshot): Promise<void> {
    await sleep(this.request.settleMs);
    if (this.halted) return;
    const { info, afterEnd } = await this.access.use(entry.record, async (d) => ({ info: await d.info(), afterEnd: await snapshot(d) }));
    entry.after = info.configId;
    const problems = pushProblems({
      configId: this.wanted,
      info,
      before,
      after: { start: afterStart.counters, end: afterEnd.counters, seconds: (afterEnd.at - afterStart.at) / 1000 },
    });
    if (problems.length > 0) return this.fail(entry, problems.join('; '));
    this.step({ step: 'verified', appliance: entry.record.name });
    if (this.halted || !(await this.journal((j) => j.held()))) return;
    const confirmed = await this.access.use(entry.record, (d) => confirmCommit(d));
    await this.confirmed(entry, confirmed.configId);
  }

  private async confirmed(entry: Entry, configId: string): Promise<void> {
    entry.state = 'confirmed';
    entry.after = configId;
    this.step({ step: 'confirmed', appliance: entry.record.name, configId });
    await this.settled(entry, { state: 'confirmed', after: configId });
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
      if (!(await this.journal((j) => j.held()))) return;
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
        await this.settled(entry, { after: before, ...(entry.rolledBack && entry.state !== 'failed' ? { state: 'rolled back' as const } : {}) });
        return;
      }
      const why = outcome.undone
        ? `rolling back made it run ${short(outcome.after)}, not ${short(before)} as before`
        : `it runs ${short(outcome.after)}, neither the pushed config nor the one before: left alone`;
      await this.noteRollbackFailure(entry, why);
    } catch (err) {
      const pending =
        entry.state !== 'confirmed' ? `; the unconfirmed commit reverts by itself within ${Math.round(this.request.confirmTimeoutMs / 1000)} s` : '';
      await this.noteRollbackFailure(entry, `rolling back failed: ${message(err)}${pending}`);
    }
  }

  private async noteRollbackFailure(entry: Entry, why: string): Promise<void> {
    entry.error = entry.error ? `${entry.error}; ${why}` : why;
    entry.state = 'failed';
    this.step({ step: 'failed', appliance: entry.record.name, error: why });
    await this.settled(entry, { state: 'failed', error: entry.error, after: entry.after });
  }

  private async fail(entry: Entry, error: string): Promise<void> {
    entry.state = 'failed';
    entry.error = error;
    this.noteFailure(entry, error);
    await this.settled(entry, { state: 'failed', error, after: entry.after });
    await this.journal((j) => j.fail(this.failure!));
  }

  private noteFailure(entry: Entry, error: string): void {
    this.failure ??= { appliance: entry.record.name, reason: error };
    this.step({ step: 'failed', appliance: entry.record.name, error });
  }

  /**
   * Writes to the journal (true without one). A refusal stops the run. Before an act, an error
   * throws (the act is not made); the writes after an act go through `settled`.
   */
  private async journal(write: (j: FleetJournal) => Promise<boolean>): Promise<boolean> {
    const journal = this.request.journal;
    if (!journal || this.refused) return !this.refused;
    if (await write(journal)) return true;
    this.refused = true;
    return false;
  }

  /** Records what an act did; the appliance keeps the truth, so a store that fails here stops nothing (an adopter reads the appliance again). */
  private async settled(entry: Entry, change: Omit<FleetTargetChange, 'appliance'>): Promise<void> {
    try {
      await this.journal((j) => j.record([{ appliance: entry.record.name, ...change }]));
    } catch {
      // See above.
    }
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
      ok: this.failure === null && !this.stopped,
      configId: this.wanted,
      canary: this.entries.filter((e) => e.canary).map((e) => e.record.name),
      results,
      rolledBack: this.entries.filter((e) => e.rolledBack).map((e) => e.record.name),
      failure: this.failure,
      ...(this.stopped ? { interrupted: true as const } : {}),
    };
  }
}

const short = (id: string): string => id.slice(0, 12);

/** The window before a push as the store keeps it; null when the counters do not encode (an adopter then pushes again rather than judge without them). */
function baselineOf(start: CountersSnapshot, end: CountersSnapshot, seconds: number): FleetBaseline | null {
  try {
    return { start: encodeCounters(start), end: encodeCounters(end), seconds };
  } catch {
    return null;
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
