/**
 * Rule tables: validate (no appliance involved), plan, push (optionally commit confirmed),
 * confirm, rollback — the same functions the CLI runs (src/provision/push.ts, and for a push the
 * checks of push-preflight.ts). Changes are audited with the config ids before and after, and
 * kept in the event log.
 */
import type { FastifyInstance } from 'fastify';
import { configId } from '../../protocol/rules/index.js';
import { planChange, ProvisionError, rollbackConfig, confirmCommit } from '../../provision/push.js';
import { planIsEmpty } from '../../provision/plan.js';
import { checkConfirmTimeout } from '../../provision/push-guards.js';
import { pushChecked } from '../../provision/push-preflight.js';
import { noteChange } from '../audit.js';
import { API_OVERRIDES, fromPushRefusal } from '../push-refusal.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { rulesFromBody, rulesFromField } from '../rules-input.js';
import {
  ConfigIdResponse,
  errors,
  NameParams,
  PlanResponse,
  PushBody,
  PushResponse,
  RollbackBody,
  RollbackResponse,
  RulesBody,
  ValidateResponse,
} from '../schemas.js';

export function ruleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['rules'];
  const RULES_CONTENT = 'a rule table as JSON, or as YAML with content-type text/yaml or application/yaml';

  app.post(
    '/rules/validate',
    {
      config: { access: 'read', audit: false },
      schema: {
        summary: 'Check a rule table; errors give line, column, path and rule, as the CLI prints them',
        description: RULES_CONTENT,
        tags,
        body: RulesBody,
        response: { 200: ValidateResponse, ...errors(400, 401, 413, 422) },
      },
    },
    async (request) => {
      const rules = await rulesFromBody(request, ctx.rules);
      return {
        valid: true as const,
        configId: configId(rules),
        services: rules.services.length,
        backends: rules.services.reduce((n, s) => n + s.backends.length, 0),
        rules,
      };
    },
  );

  app.post<{ Params: NameParams }>(
    '/appliances/:name/rules/plan',
    {
      config: { access: 'read', audit: false },
      schema: {
        summary: 'What pushing a rule table would change on the appliance, service by service (changes nothing)',
        description: `${RULES_CONTENT}. Over SNMP the running table must be one the agent has pushed or read (its config cache).`,
        tags,
        params: NameParams,
        body: RulesBody,
        response: { 200: PlanResponse, ...errors(400, 401, 404, 422, 501, 502, 504) },
      },
    },
    async (request) => {
      const record = await ctx.appliance(request.params.name);
      const next = await rulesFromBody(request, ctx.rules);
      const planned = await ctx.drivers.use(record, (d) => planChange(d, next, ctx.configCache));
      return { ...planned, empty: planIsEmpty(planned.plan) };
    },
  );

  app.post<{ Params: NameParams; Body: PushBody }>(
    '/appliances/:name/rules/push',
    {
      schema: {
        summary: 'Make the appliance run a rule table: applied whole or not at all; with confirmTimeout, reverted unless confirmed',
        tags,
        params: NameParams,
        body: PushBody,
        response: { 200: PushResponse, ...errors(400, 401, 403, 404, 409, 422, 502, 504) },
      },
    },
    async (request) => {
      const record = await ctx.appliance(request.params.name);
      const before = ctx.fleet.get(record.name)?.info?.configId ?? null;
      noteChange(request, { configBefore: before });
      let confirmTimeoutMs = 0;
      const { force, allowDestructive, replacePending } = request.body;
      if (request.body.confirmTimeout !== undefined)
        confirmTimeoutMs = field('body.confirmTimeout', () => checkConfirmTimeout(request.body.confirmTimeout!, { force, names: API_OVERRIDES }));
      const rules = await rulesFromField(request.body.rules, 'rules', ctx.rules);
      noteChange(request, { detail: { configId: configId(rules), confirmTimeoutMs } });
      // The rules of src/provision/push-guards.ts, as the CLI applies them: refused (409) before anything is sent.
      let checked;
      try {
        checked = await ctx.drivers.use(record, (d) =>
          pushChecked(d, {
            rules,
            confirmTimeoutMs,
            cache: ctx.configCache,
            allowDestructive,
            replacePending,
            names: API_OVERRIDES,
            note: { by: request.actor?.name ?? '', comment: request.body.message ?? '' },
          }),
        );
      } catch (err) {
        throw fromPushRefusal(err);
      }
      if (checked.result === null) {
        // It runs this table already: nothing committed, so no commit event; nothing left pending by this request.
        const { runningConfigId: id, pending } = checked.preflight;
        noteChange(request, { configBefore: id, configAfter: id, detail: { unchanged: true } });
        ctx.fleet.noteConfig(record.name, id, pending?.seconds ?? null);
        return { configId: id, previousConfigId: id, mode: 'none', bytes: 0, seconds: 0, confirmBy: null, unchanged: true };
      }
      const { result, replaced } = checked;
      const pendingConfirm = confirmTimeoutMs > 0 ? Math.ceil(confirmTimeoutMs / 1000) : null;
      noteChange(request, { configBefore: result.previousConfigId, configAfter: result.configId, detail: { mode: result.mode } });
      ctx.fleet.noteConfig(record.name, result.configId, pendingConfirm);
      await ctx.recordEvent({
        ts: Date.now(),
        appliance: record.name,
        kind: 'commit',
        detail: { before: result.previousConfigId, after: result.configId, confirmTimeoutMs, by: request.actor?.name ?? null },
      });
      return {
        ...result,
        confirmBy: confirmTimeoutMs > 0 ? Date.now() + confirmTimeoutMs : null,
        replaced: replaced && { configId: replaced.configId, confirmBy: replaced.deadline },
      };
    },
  );

  app.post<{ Params: NameParams }>(
    '/appliances/:name/rules/confirm',
    {
      schema: {
        summary: 'Keep a commit made with a confirm timeout',
        tags,
        params: NameParams,
        response: { 200: ConfigIdResponse, ...errors(401, 403, 404, 409, 502, 504) },
      },
    },
    async (request) => {
      const record = await ctx.appliance(request.params.name);
      const r = await ctx.drivers.use(record, (d) => confirmCommit(d));
      noteChange(request, { configBefore: r.configId, configAfter: r.configId });
      ctx.fleet.noteConfig(record.name, r.configId, null);
      await ctx.recordEvent({ ts: Date.now(), appliance: record.name, kind: 'confirm', detail: { configId: r.configId, by: request.actor?.name ?? null } });
      return r;
    },
  );

  app.post<{ Params: NameParams; Body: RollbackBody }>(
    '/appliances/:name/rules/rollback',
    {
      // No body at all means the defaults, as `{}` does.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
      schema: {
        summary: 'Make an earlier config run again (steps 1 = the one before the current, up to 10)',
        tags,
        params: NameParams,
        body: RollbackBody,
        response: { 200: RollbackResponse, ...errors(400, 401, 403, 404, 409, 502, 504) },
      },
    },
    async (request) => {
      const record = await ctx.appliance(request.params.name);
      const steps = request.body.steps ?? 1;
      noteChange(request, { detail: { steps } });
      const r = await ctx.drivers.use(record, async (d) => {
        const previousConfigId = (await d.info()).configId;
        noteChange(request, { configBefore: previousConfigId });
        return { previousConfigId, ...(await rollbackConfig(d, steps, { by: request.actor?.name ?? '', comment: `rollback ${steps}` })) };
      });
      noteChange(request, { configAfter: r.configId });
      ctx.fleet.noteConfig(record.name, r.configId, null);
      await ctx.recordEvent({
        ts: Date.now(),
        appliance: record.name,
        kind: 'rollback',
        detail: { before: r.previousConfigId, after: r.configId, steps, by: request.actor?.name ?? null },
      });
      return { ...r, steps };
    },
  );
}

/** A body field checked by `check`; its complaint names the field. */
function field<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ProvisionError) throw new ApiError(400, 'invalidRequest', `${name}: ${err.message}`);
    throw err;
  }
}
