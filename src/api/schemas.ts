/**
 * The API's request and response schemas (TypeBox → JSON Schema). Fastify validates every
 * request body, query and path against them, serializes answers through them (so a field not
 * in a response schema, such as credentials, can never leak), and @fastify/swagger publishes
 * them as the OpenAPI document.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_ROLLBACK_STEPS } from '../protocol/rules/limits.js';
import { TARGET_FORMS } from '../../drivers/targets.js';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable, machine-readable: notFound, invalidRequest, unauthorized, forbidden, applianceTimeout…' }),
      message: Type.String({ description: 'for a person: names the field or the appliance and what is wrong' }),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error' },
);

/** The error answers a route may give, for its OpenAPI entry. */
export function errors(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, Type.Ref('Error')]));
}

export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, description: 'inventory name' }) });
export type NameParams = Static<typeof NameParams>;

const Duration = (description: string) => Type.String({ minLength: 1, maxLength: 32, description });

export const Credentials = Type.Object(
  {
    community: Type.Optional(Type.String({ minLength: 1, description: 'SNMPv2c community' })),
    v3User: Type.Optional(Type.String({ minLength: 1, description: 'SNMPv3 user (authPriv: SHA + AES)' })),
    v3Auth: Type.Optional(Type.String({ minLength: 8, description: 'SNMPv3 authentication pass phrase (8+ characters)' })),
    v3Priv: Type.Optional(Type.String({ minLength: 8, description: 'SNMPv3 privacy pass phrase (8+ characters)' })),
  },
  { additionalProperties: false, description: '{community} or {v3User, v3Auth, v3Priv}; never returned by any route' },
);

export const NewAppliance = Type.Object(
  {
    name: Type.String({ description: 'letters, digits, ".", "_", "-" (1–64)' }),
    address: Type.String({ description: TARGET_FORMS }),
    credentials: Type.Optional(Credentials),
  },
  { additionalProperties: false },
);
export type NewAppliance = Static<typeof NewAppliance>;

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ApplianceItem = Type.Object({
  name: Type.String(),
  address: Type.String(),
  credentials: Type.String({ description: 'which kind: "v2c community", "v3 authPriv" or "none" (never the secrets)' }),
  created: Type.Integer({ description: 'ms since the epoch' }),
  reachable: Nullable(Type.Boolean({ description: 'at the last poll; null before the first' })),
  lastPoll: Nullable(Type.Integer({ description: 'ms of the last successful poll' })),
  error: Nullable(Type.String({ description: 'why the last poll failed' })),
  model: Nullable(Type.String()),
  firmware: Nullable(Type.String()),
  configId: Nullable(Type.String({ description: 'running config id as last known' })),
  pendingConfirm: Nullable(Type.Integer({ description: 'seconds until an unconfirmed commit reverts, as last known' })),
});

export const ApplianceList = Type.Object({ appliances: Type.Array(ApplianceItem) });
export const Removed = Type.Object({ removed: Type.String() });

export const ApplianceInfo = Type.Object({
  name: Type.String(),
  address: Type.String(),
  model: Type.String(),
  serialNumber: Type.String(),
  firmware: Type.String(),
  configId: Type.String(),
  uptimeSeconds: Type.Integer(),
  pendingConfirm: Nullable(Type.Integer()),
});

const Counter = Type.Integer({ minimum: 0, description: '64-bit counter, exact' });

export const CountersResponse = Type.Object({
  appliance: Type.String(),
  at: Type.Integer({ description: 'ms when read' }),
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      listen: Type.String(),
      protocol: Type.String(),
      connsTotal: Counter,
      connsActive: Type.Integer(),
      bytesIn: Counter,
      bytesOut: Counter,
      failures: Counter,
      fallbackConns: Counter,
      backends: Type.Array(
        Type.Object({
          address: Type.String(),
          state: Type.String({ description: 'up, down, drain or disabled' }),
          weight: Type.Integer(),
          backup: Type.Boolean(),
          connsTotal: Counter,
          connsActive: Type.Integer(),
          bytesIn: Counter,
          bytesOut: Counter,
          connectFailures: Counter,
          lastChange: Type.Integer({ description: 'ms of the last state change' }),
        }),
      ),
    }),
  ),
});

export const HistoryQuery = Type.Object(
  {
    since: Type.Optional(Duration('how far back, e.g. 15m or 1h (default 1h); or give from')),
    from: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'start, ms since the epoch (instead of since)' })),
    rate: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'counters per second instead of increases per step' })),
    resolution: Type.Optional(
      Type.Union([Type.Literal('raw'), Type.Literal('1m'), Type.Literal('1h')], { description: 'default: raw up to 2 h, 1m up to 2 days, 1h beyond' }),
    ),
    counter: Type.Optional(Type.String({ description: 'only these counters, comma-separated (connsTotal,bytesIn,bytesOut,connsActive…)' })),
    service: Type.Optional(Type.String({ description: 'only this service' })),
    level: Type.Optional(Type.Union([Type.Literal('service'), Type.Literal('backend')], { description: 'only service-wide or only per-backend series' })),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const HistoryResponse = Type.Object({
  appliance: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  resolution: Type.String(),
  unit: Type.String(),
  series: Type.Array(
    Type.Object({
      service: Nullable(Type.String()),
      backend: Nullable(Type.String()),
      counter: Type.String(),
      kind: Type.String({ description: 'counter or gauge' }),
      points: Type.Array(Type.Array(Nullable(Type.Number()), { minItems: 2, maxItems: 2, description: '[ts ms, value]; value null for a gap' })),
    }),
  ),
});

export const RulesBody = Type.Union([
  Type.Object({}, { additionalProperties: true, description: 'a rule table as JSON (fulcrum rules schema)' }),
  Type.String({ description: 'a rule table as YAML text (content-type text/yaml)' }),
]);

export const ValidateResponse = Type.Object({
  valid: Type.Literal(true),
  configId: Type.String(),
  services: Type.Integer(),
  backends: Type.Integer(),
  rules: Type.Unknown({ description: 'the canonical table: defaults filled, names sorted' }),
});

export const PlanResponse = Type.Object({
  runningConfigId: Type.String(),
  configId: Type.String(),
  empty: Type.Boolean({ description: 'true: the appliance already runs this table' }),
  plan: Type.Object({ added: Type.Array(Type.Unknown()), changed: Type.Array(Type.Unknown()), removed: Type.Array(Type.Unknown()) }),
});

export const PushBody = Type.Object(
  {
    rules: Type.Union([Type.Object({}, { additionalProperties: true }), Type.String()], { description: 'the rule table: JSON, or YAML/JSON text' }),
    confirmTimeout: Type.Optional(Duration('commit confirmed: the appliance reverts unless confirmed within this time (e.g. 5m; at least 10s unless force)')),
    force: Type.Optional(Type.Boolean({ description: 'allow a confirmTimeout under 10 s' })),
    allowDestructive: Type.Optional(
      Type.Boolean({ description: 'push a plan that removes every service or more than half of them (else 409 destructivePlan)' }),
    ),
    replacePending: Type.Optional(Type.Boolean({ description: 'push over a commit pending confirmation, replacing it (else 409 pendingCommit)' })),
    message: Type.Optional(
      Type.String({ maxLength: 255, description: "a comment kept with this config in the appliance's history, by the token's name (over the serial console)" }),
    ),
  },
  { additionalProperties: false },
);
export type PushBody = Static<typeof PushBody>;

export const PushResponse = Type.Object({
  configId: Type.String(),
  previousConfigId: Type.String(),
  mode: Type.String({ description: 'delta (a patch was sent) or full' }),
  bytes: Type.Integer(),
  seconds: Type.Number(),
  confirmBy: Nullable(Type.Integer({ description: 'ms by which confirm must arrive, for a commit confirmed' })),
  unchanged: Type.Optional(Type.Boolean({ description: 'true: the appliance ran this table already; nothing was sent (mode "none")' })),
  replaced: Type.Optional(
    Nullable(
      Type.Object(
        { configId: Type.String(), confirmBy: Type.Integer({ description: 'ms when it was to revert' }) },
        { description: 'the pending commit this push replaced (replacePending)' },
      ),
    ),
  ),
});

export const ConfigIdResponse = Type.Object({ configId: Type.String() });

export const RollbackBody = Type.Object(
  { steps: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ROLLBACK_STEPS, description: '1 = the config before the current (default)' })) },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;
export const RollbackResponse = Type.Object({ configId: Type.String(), previousConfigId: Type.String(), steps: Type.Integer() });

export const ListQuery = Type.Object(
  {
    since: Type.Optional(Duration('how far back, e.g. 1h, or an ISO 8601 time')),
    appliance: Type.Optional(Type.String()),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'at most this many, newest first (default 100, at most 1000)' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const EventsResponse = Type.Object({
  events: Type.Array(Type.Object({ id: Type.Integer(), ts: Type.Integer(), appliance: Type.String(), kind: Type.String(), detail: Type.Unknown() })),
});

export const AuditResponse = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.Integer(),
      ts: Type.Integer(),
      actor: Type.Object({ id: Nullable(Type.Integer()), name: Type.String() }),
      via: Type.String({ description: 'api, or cli for a change made with the command line on the agent' }),
      action: Type.String(),
      appliance: Nullable(Type.String()),
      status: Type.Integer(),
      outcome: Type.String({ description: 'ok, failed or denied' }),
      configBefore: Nullable(Type.String()),
      configAfter: Nullable(Type.String()),
      detail: Type.Unknown(),
    }),
  ),
});
