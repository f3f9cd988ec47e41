/** Request and response schemas of the fleet push route (POST /rules/push). */
import { Type, type Static } from '@sinclair/typebox';

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
