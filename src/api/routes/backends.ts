/**
 * One backend changed in place — its weight, or drain / enable / disable — as the dashboard's
 * buttons and `fulcrum rules set-backend` do it: the edit of the running table goes through the
 * push checks of every push (src/provision/backend-edit.ts), so it has a plan (`dryRun: true`
 * shows it, sending nothing), the guard rails, the audit log and a commit event like any push.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { BACKEND_STATES } from '../../protocol/rules/model.js';
import { WEIGHT_MAX } from '../../protocol/rules/limits.js';
import { editBackend } from '../../provision/backend-edit.js';
import { checkConfirmTimeout } from '../../provision/push-guards.js';
import { ProvisionError } from '../../provision/push.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { API_OVERRIDES, fromPushRefusal } from '../push-refusal.js';
import { errors, NameParams, PlanResponse } from '../schemas.js';

const BackendEditBody = Type.Object(
  {
    service: Type.String({ minLength: 1, maxLength: 63, description: 'the service, by name' }),
    backend: Type.String({ minLength: 1, maxLength: 64, description: 'the backend, by address (HOST:PORT)' }),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: WEIGHT_MAX })),
    state: Type.Optional(Type.Union(BACKEND_STATES.map((s) => Type.Literal(s)))),
    dryRun: Type.Optional(Type.Boolean({ description: 'answer the plan and send nothing' })),
    confirmTimeout: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'commit confirmed (e.g. 5m; at least 10s unless force)' })),
    force: Type.Optional(Type.Boolean({ description: 'allow a confirmTimeout under 10 s' })),
    replacePending: Type.Optional(Type.Boolean({ description: 'edit over a commit pending confirmation, replacing it (else 409 pendingCommit)' })),
  },
  { additionalProperties: false },
);
type BackendEditBody = Static<typeof BackendEditBody>;

const BackendEditResponse = Type.Intersect([
  PlanResponse,
  Type.Object({
    outcome: Type.Union([Type.Literal('pushed'), Type.Literal('unchanged'), Type.Literal('dryRun')]),
    mode: Type.Optional(Type.String({ description: 'pushed: delta (a patch was sent) or full' })),
    bytes: Type.Optional(Type.Integer()),
    confirmBy: Type.Union([Type.Integer({ description: 'ms by which confirm must arrive, for a commit confirmed' }), Type.Null()]),
  }),
]);

export function backendRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: NameParams; Body: BackendEditBody }>(
    '/appliances/:name/backends/edit',
    {
      schema: {
        summary: "Change one backend's weight or state (enabled, drain, disabled) in the running table: planned and pushed as any push",
        tags: ['rules'],
        params: NameParams,
        body: BackendEditBody,
        response: { 200: BackendEditResponse, ...errors(400, 401, 403, 404, 409, 502, 504) },
      },
    },
    async (request) => {
      const record = await ctx.appliance(request.params.name);
      const { service, backend, weight, state, dryRun, force, replacePending } = request.body;
      // A dry run changes nothing: not a change for the audit log (the CLI's are not logged either).
      if (dryRun === true) noteChange(request, { unaudited: true });
      let confirmTimeoutMs = 0;
      if (request.body.confirmTimeout !== undefined) {
        try {
          confirmTimeoutMs = checkConfirmTimeout(request.body.confirmTimeout, { force, names: API_OVERRIDES });
        } catch (err) {
          if (err instanceof ProvisionError) throw new ApiError(400, 'invalidRequest', `body.confirmTimeout: ${err.message}`);
          throw err;
        }
      }
      noteChange(request, { configBefore: ctx.fleet.get(record.name)?.info?.configId ?? null, detail: { service, backend, weight, state, confirmTimeoutMs } });
      let checked;
      try {
        checked = await ctx.drivers.use(record, (d) =>
          editBackend(d, { edit: { service, backend, weight, state }, cache: ctx.configCache, confirmTimeoutMs, dryRun, replacePending, names: API_OVERRIDES }),
        );
      } catch (err) {
        if (err instanceof ProvisionError) throw new ApiError(400, 'invalidRequest', err.message);
        throw fromPushRefusal(err);
      }
      const { preflight: p, result } = checked;
      const answer = {
        runningConfigId: p.runningConfigId,
        configId: p.configId,
        empty: p.upToDate,
        plan: p.plan ?? { added: [], changed: [], removed: [] },
        outcome: checked.outcome,
        confirmBy: null as number | null,
      };
      if (checked.outcome !== 'pushed') {
        noteChange(request, { configAfter: p.runningConfigId, detail: { [checked.outcome]: true } });
        return answer;
      }
      const r = result!;
      noteChange(request, { configBefore: r.previousConfigId, configAfter: r.configId, detail: { mode: r.mode } });
      ctx.fleet.noteConfig(record.name, r.configId, confirmTimeoutMs > 0 ? Math.ceil(confirmTimeoutMs / 1000) : null);
      await ctx.recordEvent({
        ts: Date.now(),
        appliance: record.name,
        kind: 'commit',
        detail: {
          before: r.previousConfigId,
          after: r.configId,
          confirmTimeoutMs,
          by: request.actor?.name ?? null,
          backend: { service, backend, weight, state },
        },
      });
      return { ...answer, mode: r.mode, bytes: r.bytes, confirmBy: confirmTimeoutMs > 0 ? Date.now() + confirmTimeoutMs : null };
    },
  );
}
