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
  owner: Type.Optional(Nullable(Type.String({ description: 'the agent polling it now (its lease holder), null when none' }))),
});

export const AgentItem = Type.Object({
  id: Type.String({ description: 'host:pid:random, per running agent' }),
  site: Type.String(),
  capacity: Type.Integer({ description: 'the most appliances it takes' }),
  host: Type.String(),
  pid: Type.Integer(),
  command: Type.String(),
  apiUrl: Nullable(Type.String({ description: 'where the other agents hand it the changes of the appliances it owns (a serve); null for a monitor' })),
  started: Type.Integer({ description: 'ms since the epoch (the store server clock)' }),
  heartbeat: Type.Integer({ description: 'ms since the epoch (the store server clock)' }),
  live: Type.Boolean({ description: 'heartbeat within its lease TTL and not stopped' }),
  stopped: Type.Boolean({ description: 'left (SIGTERM), its leases released' }),
  leases: Type.Integer({ description: 'appliances it holds an unexpired lease for' }),
  cycleMs: Nullable(Type.Integer({ description: 'its last poll cycle, ms' })),
  ttlMs: Type.Integer({ description: 'how long its leases last without a heartbeat' }),
  coordinator: Type.Boolean({ description: 'whether it holds the coordinator lease (plans who owns what)' }),
});
export const AgentList = Type.Object({ agents: Type.Array(AgentItem) });

/** What `PATCH /appliances/:name` changes: absent fields stay as they are. */
export const ApplianceChange = Type.Object(
  {
    address: Type.Optional(Type.String({ description: `a new address: ${TARGET_FORMS}` })),
    credentials: Type.Optional(Credentials),
    check: Type.Optional(
      Type.Boolean({
        description: 'read the identity at the new address (with the new credentials) first, and change nothing when it does not answer (default true)',
      }),
    ),
  },
  { additionalProperties: false, description: 'address and/or credentials; credentials are kept for an SNMP address unless given, dropped for a console' },
);
export type ApplianceChange = Static<typeof ApplianceChange>;

/** The identity an appliance answers, as a driver reads it. */
const Identity = Type.Object({
  model: Type.String(),
  serialNumber: Type.String(),
  firmware: Type.String(),
  configId: Type.String(),
  uptimeSeconds: Type.Integer(),
  pendingConfirm: Nullable(Type.Integer()),
  group: Type.Optional(
    Type.Object({ name: Type.String(), unit: Type.Integer(), state: Type.Union([Type.Literal('active'), Type.Literal('standby'), Type.Literal('offline')]) }),
  ),
});

export const UpdatedAppliance = Type.Object({
  name: Type.String(),
  address: Type.String(),
  credentials: Type.String({ description: 'which kind: "v2c community", "v3 authPriv" or "none" (never the secrets)' }),
  identity: Type.Union([Identity, Type.Null()], { description: 'read at the new address before the change; null with check: false' }),
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
    backend: Type.Optional(Type.String({ description: "only this backend's series (its address, as the appliance reports it)" })),
    step: Type.Optional(
      Duration(
        'one row per step of this length, e.g. 5m (total, average, min and max per step): whole seconds that tile a stored resolution kept over the range; without backend or level, service-wide series only; not with rate or resolution',
      ),
    ),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

/** The history in steps (`step=`), as src/store/history-steps.ts computes it; the fields in its order. */
export const SteppedHistoryResponse = Type.Object(
  {
    appliance: Type.String(),
    from: Type.Integer(),
    to: Type.Integer(),
    stepMs: Type.Integer(),
    resolution: Type.String({ description: 'what the rows were merged from: raw, 1m or 1h' }),
    series: Type.Array(
      Type.Object({
        service: Nullable(Type.String()),
        backend: Nullable(Type.String()),
        counter: Type.String(),
        kind: Type.String({ description: 'counter or gauge' }),
        first: Nullable(Type.Integer({ description: 'start of the first step with data' })),
        gaps: Type.Integer({ description: 'steps with nothing known after first' }),
        rows: Type.Array(
          Type.Object({
            ts: Type.Integer({ description: 'start of the step, ms' }),
            total: Nullable(Type.Number({ description: 'a counter: its increase over the step; null for a gauge or a gap' })),
            avg: Nullable(Type.Number({ description: 'a counter: its average rate per second; a gauge: its mean reading' })),
            min: Nullable(Type.Number()),
            max: Nullable(Type.Number()),
          }),
        ),
      }),
    ),
  },
  { description: 'the answer with step=' },
);

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

/** /events also pages forward by id, for a follower: what was appended after the last one it saw. */
export const EventsQuery = Type.Object(
  {
    ...ListQuery.properties,
    after: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,15}$',
        description: 'only events appended after this event id, oldest first (whatever their times); page on from the last id answered',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const EventsResponse = Type.Object({
  events: Type.Array(Type.Object({ id: Type.Integer(), ts: Type.Integer(), appliance: Type.String(), kind: Type.String(), detail: Type.Unknown() })),
  lastId: Type.Integer({
    description:
      "the id of the log's last event, whatever the filters (0: none): where a follower starts, since the newest by time may not be the last appended",
  }),
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
