/**
 * A rule table to many appliances at once (POST /rules/push): the same run as `fulcrum rules
 * push --all | --targets` (src/provision/fleet-push.ts), over the agent's shared drivers. The
 * request lasts as long as the run; the audit entry lists every appliance with its config ids
 * before and after, and each push, confirm and rollback is kept in the event log as it happens.
 */
import type { FastifyInstance } from 'fastify';
import { configId, parseDuration } from '../../protocol/rules/index.js';
import { pushToFleet, type FleetStep } from '../../provision/fleet-push.js';
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
import { ApiError } from '../errors.js';
import { FleetPushBody, FleetPushReport } from '../fleet-push-schemas.js';
import { API_OVERRIDES } from '../push-refusal.js';
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
  app.post<{ Body: FleetPushBody }>(
    '/rules/push',
    {
      schema: {
        summary:
          'Push a rule table to many appliances: plan everywhere, canaries first, each confirmed after a health and traffic check; on the first failure everything changed is rolled back',
        description:
          'Answers when the run is over. 200: every appliance runs the table (or already did). 409 fleetPushFailed: the run stopped; `details` is the same report, with the appliances rolled back. ' +
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

      const by = request.actor?.name ?? null;
      const recordStep = async (step: FleetStep, at: number): Promise<void> => {
        const appliance = step.appliance;
        if (step.step === 'pushed') {
          ctx.fleet.noteConfig(appliance, step.after, Math.ceil(confirmTimeoutMs / 1000));
          await ctx.recordEvent({
            ts: at,
            appliance,
            kind: 'commit',
            detail: { before: step.before, after: step.after, confirmTimeoutMs, canary: step.canary, by, fleetPush: true },
          });
        } else if (step.step === 'confirmed') {
          ctx.fleet.noteConfig(appliance, step.configId, null);
          await ctx.recordEvent({ ts: at, appliance, kind: 'confirm', detail: { configId: step.configId, by, fleetPush: true } });
        } else if (step.step === 'rolled back') {
          ctx.fleet.noteConfig(appliance, step.after, null);
          await ctx.recordEvent({ ts: at, appliance, kind: 'rollback', detail: { before: step.before, after: step.after, steps: 1, by, fleetPush: true } });
        } else if (step.step === 'failed') {
          await ctx.recordEvent({ ts: at, appliance, kind: 'push-failed', detail: { error: step.error, by, fleetPush: true } });
        }
      };
      // Steps are recorded in the order they happen, and all of them before the answer goes out.
      let recorded = Promise.resolve();
      const record = (step: FleetStep, at: number): void => {
        recorded = recorded.then(() => recordStep(step, at)).catch((err: unknown) => request.log.warn({ err, step }, 'recording a fleet push step failed'));
      };
      const guards = { allowDestructive: body.allowDestructive, names: API_OVERRIDES };
      const report = await pushToFleet({ rules, targets, canary, confirmTimeoutMs, settleMs, cache: ctx.configCache, ...guards }, ctx.drivers, {
        onStep: record,
      }).finally(() => recorded);
      noteChange(request, {
        configAfter: report.ok ? wanted : null,
        detail: { appliances: report.results.map(({ name, before, after, result }) => ({ name, before, after, result })), rolledBack: report.rolledBack },
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
}
