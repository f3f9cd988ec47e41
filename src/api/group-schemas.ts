/** Request and response schemas of the failover group routes (/groups…). */
import { Type, type Static } from '@sinclair/typebox';

const NullableString = (description: string) => Type.Union([Type.String({ description }), Type.Null()]);
const State = Type.Union([Type.Literal('active'), Type.Literal('standby'), Type.Literal('offline')]);

export const GroupParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 32, description: 'the group name the appliances report' }) });
export type GroupParams = Static<typeof GroupParams>;

export const GroupSchema = Type.Object({
  name: Type.String(),
  active: NullableString('the member that reports itself active, when exactly one does'),
  actives: Type.Array(Type.String(), { description: 'every member that reported itself active' }),
  sameConfig: Type.Boolean({ description: 'every member reported the same config id' }),
  members: Type.Array(
    Type.Object({
      appliance: Type.String(),
      unit: Type.Integer(),
      state: State,
      reachable: Type.Boolean(),
      lastPoll: Type.Union([Type.Number(), Type.Null()]),
      configId: NullableString('running config id at its last answer'),
      firmware: NullableString('firmware version at its last answer'),
    }),
  ),
});

export const GroupList = Type.Object({ groups: Type.Array(GroupSchema) });

export const GroupFailoverBody = Type.Union([
  Type.Object(
    { wait: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'how long the new active is waited for (default 10s)' })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export type GroupFailoverBody = Static<typeof GroupFailoverBody>;

export const GroupFailoverResult = Type.Object({ group: Type.String(), from: Type.String(), to: Type.String() });

export const GroupPushBody = Type.Object(
  {
    rules: Type.Union([Type.Object({}, { additionalProperties: true }), Type.String()], { description: 'the rule table: JSON, or YAML/JSON text' }),
    confirmTimeout: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'each member reverts after this long unless confirmed (default 5m)' }),
    ),
    allowDestructive: Type.Optional(Type.Boolean()),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type GroupPushBody = Static<typeof GroupPushBody>;

export const GroupPushReport = Type.Object({
  group: Type.String(),
  configId: Type.String(),
  ok: Type.Boolean(),
  dryRun: Type.Boolean(),
  members: Type.Array(
    Type.Object({
      appliance: Type.String(),
      state: Type.Union([Type.String(), Type.Null()]),
      before: Type.String(),
      after: NullableString('what it was last seen running'),
      outcome: Type.String({ description: 'unchanged, confirmed, rolledBack, pending (reverts by itself at its timeout), planned, untouched' }),
    }),
  ),
  failure: Type.Union([Type.Object({ appliance: Type.String(), reason: Type.String() }), Type.Null()]),
});
