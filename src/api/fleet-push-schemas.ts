/** Request and response schemas of the fleet push routes (POST /rules/push, GET /rules/pushes[/ID]). */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, RolloutListQuery } from './firmware-schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const FleetPushBody = Type.Object(
  {
    rules: Type.Union([Type.Object({}, { additionalProperties: true }), Type.String()], { description: 'the rule table: JSON, or YAML/JSON text' }),
    targets: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 }), Type.Literal('all')], {
        description: 'inventory names, in the order they are pushed (the first are the canaries), or "all" (the inventory by name; the default)',
      }),
    ),
    canary: Type.Optional(Type.Integer({ minimum: 1, description: 'appliances pushed and checked before the rest (default 1)' })),
    confirmTimeout: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'every push is a commit confirmed reverting after this long unless confirmed (default 5m)' }),
    ),
    settle: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'how long traffic is watched before and after each push (default 3s)' })),
    allowDestructive: Type.Optional(
      Type.Boolean({ description: 'push plans that remove every service or more than half of them on an appliance (else 409 destructivePlan)' }),
    ),
  },
  { additionalProperties: false },
);
export type FleetPushBody = Static<typeof FleetPushBody>;

export const FleetPushReport = Type.Object({
  ok: Type.Boolean(),
  fleetPush: Type.Integer({ description: 'the push id: GET /rules/pushes/ID follows it from any agent of the store' }),
  configId: Type.String({ description: 'the pushed table' }),
  canary: Type.Array(Type.String(), { description: 'the appliances pushed first' }),
  results: Type.Array(
    Type.Object({
      name: Type.String(),
      before: Nullable(Type.String({ description: 'config id it ran before' })),
      after: Nullable(Type.String({ description: 'config id it runs at the end, as last seen' })),
      result: Type.String({ description: 'changed, unchanged (already ran it), rolled back, failed, or not pushed (the run stopped first)' }),
      error: Type.Optional(Type.String()),
    }),
  ),
  rolledBack: Type.Array(Type.String(), { description: 'appliances this run changed and put back' }),
  failure: Type.Union([
    Type.Object({
      appliance: Type.String(),
      reason: Type.String(),
      code: Type.Optional(Type.String({ description: 'destructivePlan: refused before anything was sent' })),
    }),
    Type.Null(),
  ]),
});

export const FleetPushIdParams = Type.Object({ id: Type.String({ pattern: IdParams.properties.id.pattern, description: 'fleet push id' }) });
export type FleetPushIdParams = Static<typeof FleetPushIdParams>;

/** `limit`, as the rollout list takes it. */
export const FleetPushListQuery = RolloutListQuery;
export type FleetPushListQuery = Static<typeof FleetPushListQuery>;

const Process = Type.Object({ host: Type.String(), pid: Type.Integer() });

const FleetPushSummaryFields = {
  id: Type.Integer(),
  state: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('refused')], {
    description: 'running (whether or not an agent runs it right now: see runner), succeeded, failed (rolled back), refused (at planning, nothing sent)',
  }),
  configId: Type.String({ description: 'the pushed table' }),
  created: Type.Integer({ description: 'ms since the epoch' }),
  updated: Type.Integer({ description: 'ms since the epoch, the last step recorded' }),
  canary: Type.Integer({ description: 'canaries asked for' }),
  confirmTimeoutMs: Type.Integer(),
  settleMs: Type.Integer(),
  allowDestructive: Type.Boolean(),
  actor: Nullable(Type.String({ description: 'the token that started it' })),
  runner: Type.Union([
    Type.Object({
      host: Type.String(),
      pid: Type.Integer(),
      heartbeat: Type.Integer({ description: "ms since the epoch, on the store's clock" }),
      live: Type.Boolean({ description: 'false: its heartbeat went stale; another agent takes the push over' }),
    }),
    Type.Null(),
  ]),
  adoptions: Type.Array(Type.Object({ at: Type.Integer(), from: Process, by: Process }), {
    description: 'each time an agent took the push over from one whose heartbeat went stale, oldest first',
  }),
  failure: Type.Union([Type.Object({ appliance: Type.String(), reason: Type.String(), code: Type.Optional(Type.String()) }), Type.Null()]),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'targets per state' }),
};

export const FleetPushSummary = Type.Object(FleetPushSummaryFields);

export const FleetPushList = Type.Object({ pushes: Type.Array(FleetPushSummary) });

export const FleetPushStatus = Type.Object({
  ...FleetPushSummaryFields,
  targets: Type.Array(
    Type.Object({
      appliance: Type.String(),
      canary: Type.Boolean(),
      state: Type.String({
        description: 'waiting (not planned yet), planned, unchanged (ran it already), pushing (sent, not confirmed yet), confirmed, failed, rolled back',
      }),
      before: Nullable(Type.String({ description: 'config id it ran before' })),
      after: Nullable(Type.String({ description: 'config id it runs, as last seen' })),
      error: Nullable(Type.String()),
      updated: Type.Integer(),
    }),
  ),
});
