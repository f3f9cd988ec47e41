/**
 * A rule table to many appliances at once (POST /rules/push): the same run as `fulcrum rules
 * push --all | --targets` (src/provision/fleet-push.ts), over the agent's shared drivers,
 * recorded in the store and run under a lease (fleet-push-runs.ts), so that another agent
 * finishes it if this one dies. The request lasts as long as the run and its answer names the
 * push (`fleetPush`, its id for GET /rules/pushes/ID); the audit entry lists every appliance with
 * its config ids before and after, and each push, confirm and rollback is kept in the event log
 * as it happens.
 */
import type { FastifyInstance } from 'fastify';
import { configId, parseDuration } from '../../protocol/rules/index.js';
import {
  checkFleetOptions,
  DEFAULT_CANARIES,
  DEFAULT_FLEET_CONFIRM_MS,
  DEFAULT_SETTLE_MS,
  FleetPushError,
  resolveFleetTargets,
} from '../../provision/fleet-request.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { FleetPushBody, FleetPushIdParams, FleetPushList, FleetPushListQuery, FleetPushReport, FleetPushStatus } from '../fleet-push-schemas.js';
import { fleetPushStatus, fleetPushSummary } from '../fleet-push-status.js';
import { ADOPT_EVERY_MS, FleetPushRuns } from '../fleet-push-runs.js';
import { rulesFromField } from '../rules-input.js';
import { errors } from '../schemas.js';

function duration(field: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return parseDuration(text);
  } catch (err) {
    throw new ApiError(400, 'invalidRequest', `${field}: ${(err as Error).message}`);
  }
}

function fromFleetError(err: unknown): unknown {
  if (!(err instanceof FleetPushError)) return err;
  if (err.code === 'unknownAppliances') return new ApiError(400, 'unknownAppliances', `body.targets: ${err.message}`, { appliances: err.appliances });
  // "confirm timeout: …" → "body.confirmTimeout: …", as the body names the field.
  const m = /^(canary|settle|confirm timeout|targets): /.exec(err.message);
  const field = m?.[1] === 'confirm timeout' ? 'confirmTimeout' : m?.[1];
  return new ApiError(400, 'invalidRequest', m ? `body.${field}: ${err.message.slice(m[0].length)}` : err.message);
}

export function fleetPushRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const runs = new FleetPushRuns(ctx, app.log);
  app.addHook('preClose', async () => runs.close());
  // A push whose agent died (here: before a restart; on a shared store: anywhere) is carried on by one of the servers.
  const adopt = setInterval(() => {
    runs.adoptOrphans().catch((err: unknown) => app.log.warn({ err }, 'looking for fleet pushes to carry on failed'));
  }, ADOPT_EVERY_MS).unref();
  app.addHook('preClose', async () => clearInterval(adopt));

  app.post<{ Body: FleetPushBody }>(
    '/rules/push',
    {
      schema: {
        summary:
          'Push a rule table to many appliances: plan everywhere, canaries first, each confirmed after a health and traffic check; on the first failure everything changed is rolled back',
        description:
          'Answers when the run is over; every answer names the push (`fleetPush`), which any agent of the store shows at GET /rules/pushes/ID. 200: every appliance runs the table (or already did). 409 fleetPushFailed: the run stopped; `details` is the same report, with the appliances rolled back. ' +
          "409 fleetPushTakenOver: this agent lost the push's lease mid-run and another carries it on (follow it there). " +
          '409 destructivePlan: the plan removes every service or more than half of them on some appliance and allowDestructive is not set; nothing was sent.',
        tags: ['rules'],
        body: FleetPushBody,
        response: { 200: FleetPushReport, ...errors(400, 401, 403, 409, 422) },
      },
    },
    async (request) => {
      const body = request.body;
      const confirmTimeoutMs = duration('body.confirmTimeout', body.confirmTimeout, DEFAULT_FLEET_CONFIRM_MS);
      const settleMs = duration('body.settle', body.settle, DEFAULT_SETTLE_MS);
      const canary = body.canary ?? DEFAULT_CANARIES;
      let targets;
      try {
        checkFleetOptions({ canary, confirmTimeoutMs, settleMs });
        targets = await resolveFleetTargets(ctx.store.inventory, body.targets ?? 'all');
      } catch (err) {
        throw fromFleetError(err);
      }
      const rules = await rulesFromField(body.rules, 'rules', ctx.rules);
      const wanted = configId(rules);
      noteChange(request, { configAfter: wanted, detail: { configId: wanted, targets: targets.map((t) => t.name), canary, confirmTimeoutMs, settleMs } });

      const actor = request.actor ? { id: request.actor.id, name: request.actor.name } : null;
      const { id, report: run } = await runs.run({
        rules,
        targets,
        canary,
        confirmTimeoutMs,
        settleMs,
        allowDestructive: body.allowDestructive === true,
        actor,
      });
      const report = { ...run, fleetPush: id };
      if (run.interrupted) {
        // Another agent carries it on, and audits it when it ends: this answer is not the push's outcome.
        noteChange(request, { unaudited: true });
        throw new ApiError(
          409,
          'fleetPushTakenOver',
          `fleet push ${id} was taken over by another agent while this one ran it (its lease went stale); follow it at GET /api/v1/rules/pushes/${id}`,
          report,
        );
      }
      noteChange(request, {
        configAfter: report.ok ? wanted : null,
        detail: {
          fleetPush: id,
          appliances: report.results.map(({ name, before, after, result }) => ({ name, before, after, result })),
          rolledBack: report.rolledBack,
        },
      });
      // Refused at planning (push-guards.ts), as a single push is: nothing was sent.
      if (report.failure?.code === 'destructivePlan') throw new ApiError(409, 'destructivePlan', `fleet push refused: ${report.failure.reason}`, report);
      if (!report.ok) {
        const { appliance, reason } = report.failure!;
        const undone = report.rolledBack.length > 0 ? `; rolled back: ${report.rolledBack.join(', ')}` : '';
        throw new ApiError(409, 'fleetPushFailed', `fleet push failed on ${appliance}: ${reason}${undone}`, report);
      }
      return report;
    },
  );

  app.get<{ Querystring: FleetPushListQuery }>(
    '/rules/pushes',
    {
      schema: {
        summary: 'Fleet pushes started through the API, newest first: state, runner, adoptions and targets per state',
        tags: ['rules'],
        querystring: FleetPushListQuery,
        response: { 200: FleetPushList, ...errors(400, 401) },
      },
    },
    async (request) => {
      const limit = Math.min(1000, Number(request.query.limit ?? 20));
      const store = ctx.store.fleetPushes;
      const [pushes, now] = await Promise.all([store.list(limit), store.clock()]);
      return { pushes: await Promise.all(pushes.map(async (p) => fleetPushSummary(p, await store.targets(p.id), now))) };
    },
  );

  app.get<{ Params: FleetPushIdParams }>(
    '/rules/pushes/:id',
    {
      schema: {
        summary: "One fleet push: state, runner, who took it over from whom, and every target's progress",
        description: 'Any agent of the store answers, so a client whose agent died follows the push on another.',
        tags: ['rules'],
        params: FleetPushIdParams,
        response: { 200: FleetPushStatus, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const id = Number(request.params.id);
      const store = ctx.store.fleetPushes;
      const push = await store.get(id);
      if (!push) throw notFound(`no fleet push ${id} (GET /api/v1/rules/pushes)`);
      return fleetPushStatus(push, await store.targets(id), await store.clock());
    },
  );
}
