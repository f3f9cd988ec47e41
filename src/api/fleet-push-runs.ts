/**
 * Fleet pushes run by the agent's server under a lease, so that one whose agent dies is finished
 * by another. A push started through the API is recorded (src/store/fleet-pushes.ts) and run
 * inside its request by the agent that took it, which holds the push's runner lease and writes
 * every step before it takes it. A push whose runner's heartbeat went stale while it was
 * running is taken over by a server of the same store (`adoptOrphans`, every ADOPT_EVERY_MS as
 * rollouts are): the lease decides which — of several trying at once one wins, the others are
 * refused — and the adopter carries it on from what was recorded (src/provision/fleet-resume.ts).
 *
 * Invariants: one audit entry per push — written by the request when it answers, or by the agent
 * that finished the push when the request that started it could not answer (its agent died);
 * the adoption is an event (who took it over from whom) and is kept on the push's row. A server
 * closing stops the pushes it carries on in the background without giving up their lease, so it
 * goes stale and another server (or this one, restarted) finishes them.
 */
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { configId, decodeRules, encodeRules } from '../protocol/rules/index.js';
import type { RuleTable } from '../protocol/rules/model.js';
import { pushToFleet, type FleetPushReport } from '../provision/fleet-push.js';
import { resolveFleetTargets } from '../provision/fleet-request.js';
import type { FleetJournal } from '../provision/fleet-resume.js';
import type { FleetPushActor, FleetPushRecord, FleetPushState } from '../store/fleet-pushes.js';
import type { ApplianceRecord } from '../store/inventory.js';
import { DEFAULT_LEASE_MS, runnerAlive, RunnerLease, type LeaseRefusals } from '../store/runner-lease.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { FLEET_PUSH_EVENT_KIND, fleetPushSubject, stepRecorder } from './fleet-push-steps.js';
import { API_OVERRIDES } from './push-refusal.js';
import { ADOPT_EVERY_MS } from './rollout-runs.js';

export { ADOPT_EVERY_MS };

/** The audit entry's action, as the request that starts a push is audited. */
export const FLEET_PUSH_ACTION = 'POST /api/v1/rules/push';

const refusals: LeaseRefusals = {
  notFound: (id) => new ApiError(404, 'notFound', `no fleet push ${id} (GET /api/v1/rules/pushes)`),
  busy: (id, holder, ago) =>
    new ApiError(
      409,
      'fleetPushBusy',
      holder
        ? `fleet push ${id} is being run by process ${holder.pid} on ${holder.host} (last heard from ${ago} s ago)`
        : `fleet push ${id} was taken by another process just now`,
    ),
};

export interface FleetPushStart {
  rules: RuleTable;
  targets: readonly ApplianceRecord[];
  canary: number;
  confirmTimeoutMs: number;
  settleMs: number;
  allowDestructive: boolean;
  actor: FleetPushActor | null;
}

/** What the push's final report makes of its state. */
export function endState(report: FleetPushReport): Exclude<FleetPushState, 'running'> {
  if (report.ok) return 'succeeded';
  return report.failure?.code === 'destructivePlan' ? 'refused' : 'failed';
}

export class FleetPushRuns {
  /** Pushes this server carries on in the background, by id. */
  private readonly adopted = new Map<number, { controller: AbortController; done: Promise<void> }>();
  private closed = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly log: FastifyBaseLogger,
  ) {}

  private get store() {
    return this.ctx.store.fleetPushes;
  }

  /** Records the push, takes its lease and runs it here; resolves with its id and report once the run is over (or taken over). */
  async run(start: FleetPushStart): Promise<{ id: number; report: FleetPushReport }> {
    const record = await this.store.create({
      rules: encodeRules(start.rules),
      configId: configId(start.rules),
      targets: start.targets.map((t) => t.name),
      canary: start.canary,
      confirmTimeoutMs: start.confirmTimeoutMs,
      settleMs: start.settleMs,
      allowDestructive: start.allowDestructive,
      actor: start.actor,
    });
    const lease = await RunnerLease.acquire(this.store, record.id, refusals);
    const report = await this.execute(record, start.rules, start.targets, lease, null);
    return { id: record.id, report };
  }

  /** Carries on here the running pushes whose runner died elsewhere; the ids it took on. */
  async adoptOrphans(): Promise<number[]> {
    if (this.closed) return [];
    const now = await this.store.clock();
    const orphans = (await this.store.list(50)).filter(
      (p) =>
        p.state === 'running' &&
        !this.adopted.has(p.id) &&
        // No runner at all: its agent died between recording the push and taking its lease.
        (p.runner === null ? now - p.updated > DEFAULT_LEASE_MS : !runnerAlive(p.runner, now)),
    );
    const taken: number[] = [];
    for (const p of orphans) {
      let lease: RunnerLease;
      try {
        lease = await RunnerLease.acquire(this.store, p.id, refusals);
      } catch (err) {
        // Another server took it first.
        this.log.info({ push: p.id, err }, 'fleet push taken over elsewhere');
        continue;
      }
      taken.push(p.id);
      this.log.warn({ push: p.id, runner: p.runner }, 'its runner stopped answering: carrying the fleet push on here');
      this.inBackground(p, lease);
    }
    return taken;
  }

  /** Stops the pushes carried on here; their leases go stale, so another server finishes them. */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.adopted.values()];
    for (const r of runs) r.controller.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  private inBackground(push: FleetPushRecord, lease: RunnerLease): void {
    const controller = new AbortController();
    const done = this.adopt(push, lease, controller.signal)
      .catch((err: unknown) => this.log.error({ push: push.id, err }, 'carrying a fleet push on failed'))
      .finally(() => this.adopted.delete(push.id));
    this.adopted.set(push.id, { controller, done });
  }

  private async adopt(push: FleetPushRecord, lease: RunnerLease, signal: AbortSignal): Promise<void> {
    const at = await this.store.clock();
    const from = lease.replaced ? { host: lease.replaced.host, pid: lease.replaced.pid } : { host: 'unknown', pid: 0 };
    const by = { host: hostname(), pid: process.pid };
    await this.store.noteAdoption(push.id, lease.token, { at, from, by });
    await this.ctx.recordEvent({
      ts: Date.now(),
      appliance: fleetPushSubject(push.id),
      kind: FLEET_PUSH_EVENT_KIND,
      detail: { event: 'adopted', fleetPush: push.id, from, by, configId: push.configId },
    });
    const encoding = await this.store.rules(push.id);
    const rules = encoding ? decodeRules(encoding) : null;
    const names = (await this.store.targets(push.id)).map((t) => t.appliance);
    let targets: ApplianceRecord[];
    try {
      if (!rules || configId(rules) !== push.configId) throw new Error(`its recorded rule table does not give config ${push.configId}`);
      targets = await resolveFleetTargets(this.ctx.store.inventory, names);
    } catch (err) {
      // Nothing can be pushed or rolled back here: the appliances' pending commits revert by themselves.
      const reason = `cannot be carried on: ${(err as Error).message}`;
      await this.store.fail(push.id, lease.token, { appliance: names[0] ?? fleetPushSubject(push.id), reason });
      await this.store.finish(push.id, lease.token, 'failed');
      await lease.release();
      this.log.error({ push: push.id }, `fleet push ${reason}`);
      return;
    }
    const resume = { targets: await this.store.targets(push.id), failure: push.failure };
    const report = await this.execute(push, rules, targets, lease, resume, signal);
    if (!report.interrupted) await this.audit(push, report, by);
  }

  /** Runs the push under `lease` (fresh, or carrying on `resume`), records its end and gives the lease up. */
  private async execute(
    push: FleetPushRecord,
    rules: RuleTable,
    targets: readonly ApplianceRecord[],
    lease: RunnerLease,
    resume: Parameters<typeof pushToFleet>[0]['resume'] | null,
    signal?: AbortSignal,
  ): Promise<FleetPushReport> {
    const stopping = new AbortController();
    lease.onLost(() => stopping.abort());
    signal?.addEventListener('abort', () => stopping.abort(), { once: true });
    const journal: FleetJournal = {
      record: (changes) => this.store.updateTargets(push.id, lease.token, changes),
      fail: (failure) => this.store.fail(push.id, lease.token, failure),
      held: () => lease.held(),
    };
    const steps = stepRecorder(this.ctx, this.log, { id: push.id, by: push.actor?.name ?? null, confirmTimeoutMs: push.confirmTimeoutMs });
    try {
      const report = await pushToFleet(
        {
          rules,
          targets,
          canary: push.canary,
          confirmTimeoutMs: push.confirmTimeoutMs,
          settleMs: push.settleMs,
          cache: this.ctx.configCache,
          allowDestructive: push.allowDestructive,
          names: API_OVERRIDES,
          journal,
          ...(resume ? { resume } : {}),
          signal: stopping.signal,
        },
        this.ctx.drivers,
        { onStep: (step, at) => steps.record(step, at) },
      ).finally(() => steps.flushed());
      if (report.interrupted) {
        // Taken over (the lease is gone already) or closing: whoever carries it on finishes it.
        lease.abandon();
        return report;
      }
      await this.store.finish(push.id, lease.token, endState(report));
      await lease.release();
      return report;
    } catch (err) {
      // The store failed under the run: leave the lease to go stale, so the push is carried on.
      lease.abandon();
      throw err;
    }
  }

  /** The audit entry the request that started `push` could not write: its agent died before answering. */
  private async audit(push: FleetPushRecord, report: FleetPushReport, by: { host: string; pid: number }): Promise<void> {
    const status = report.ok ? 200 : 409;
    const entry = await this.ctx.store.audit.append({
      ts: Date.now(),
      actor: push.actor ?? { id: null, name: 'unknown' },
      action: FLEET_PUSH_ACTION,
      appliance: null,
      status,
      outcome: report.ok ? 'ok' : 'failed',
      configBefore: null,
      configAfter: report.ok ? report.configId : null,
      detail: {
        fleetPush: push.id,
        configId: report.configId,
        carriedOnBy: by,
        appliances: report.results.map(({ name, before, after, result }) => ({ name, before, after, result })),
        rolledBack: report.rolledBack,
        ...(report.failure ? { error: report.failure.reason, code: report.failure.code ?? 'fleetPushFailed' } : {}),
      },
    });
    this.ctx.hub.publish('event', { source: 'audit', ...entry });
  }
}
