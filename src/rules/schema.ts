/**
 * The one schema of the user-facing rule file (kebab-case keys), written with TypeBox so the same
 * object both validates in the loader and is published as JSON Schema for editors.
 *
 * Each node carries `errorMessage` (the ajv-errors convention, also understood by
 * yaml-language-server): either one text for any failure of that node, or texts keyed by the
 * JSON Schema keyword that failed (`type`, `minimum`, `pattern`, `minItems`, ..., `_` for the rest).
 * What JSON Schema cannot say (primes, uniqueness, timeout ≤ interval, valid octets) the loader
 * checks afterwards; the descriptions mention it so editors still tell the operator.
 */

import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { DURATION_PATTERN, formatDuration } from '../protocol/rules/duration.js';
import { ENDPOINT_PATTERN } from '../protocol/rules/endpoint.js';
import {
  DURATION_LIMITS,
  HEALTH_COUNT_MAX,
  HEALTH_COUNT_MIN,
  HTTP_PATH_MAX_LENGTH,
  MAGLEV_TABLE_MAX,
  MAGLEV_TABLE_MIN,
  MAX_BACKENDS,
  MAX_CONNECTIONS_MAX,
  MAX_SERVICES,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
  STATUS_MAX,
  STATUS_MIN,
  WEIGHT_MAX,
  type DurationField,
} from '../protocol/rules/limits.js';
import { ALGORITHMS, BACKEND_STATES, DEFAULTS, HASH_KEYS, HEALTH_TYPES, PROTOCOLS } from '../protocol/rules/model.js';
import { EXPECT_PATTERN } from '../protocol/rules/status.js';

export const SCHEMA_ID = 'urn:fulcrum:schema:rules:v1';
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export type ErrorMessageKeyword = 'type' | 'const' | 'minimum' | 'maximum' | 'pattern' | 'minLength' | 'maxLength' | 'minItems' | 'maxItems' | 'anyOf' | '_';
export type ErrorMessage = string | Partial<Record<ErrorMessageKeyword, string>>;

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/** A closed set of words, published as `anyOf` of `const` so editors offer completions. */
function Keyword<const T extends readonly string[]>(values: T, description: string, defaultValue?: T[number]): TUnion<Literals<T> & TSchema[]> {
  const literals = values.map((value) => Type.Literal(value)) as unknown as Literals<T> & TSchema[];
  const options = { description, default: defaultValue, errorMessage: `must be one of: ${values.join(', ')}` };
  // Type.Union's conditional return type cannot be resolved for a generic tuple.
  return Type.Union(literals, options) as unknown as TUnion<Literals<T> & TSchema[]>;
}

/** `defaultMs` is published so editors can offer it; the loader fills defaults itself (canonical.ts). */
function Duration(field: DurationField, description: string, defaultMs?: number) {
  const { min, max } = DURATION_LIMITS[field];
  return Type.String({
    pattern: DURATION_PATTERN,
    default: defaultMs === undefined ? undefined : formatDuration(defaultMs),
    description: `${description} A number with a unit (ms, s, m, h), between ${formatDuration(min)} and ${formatDuration(max)}.`,
    examples: ['500ms', '2s', '1m30s'],
    errorMessage: 'must be a duration with a unit, e.g. "500ms", "2s" or "1m30s" (a bare number is ambiguous)',
  });
}

function Endpoint(description: string) {
  return Type.String({
    pattern: ENDPOINT_PATTERN,
    description: `${description} An IP literal and port: IPv4:port or [IPv6]:port (quote IPv6 in YAML). Host names are not resolved.`,
    examples: ['10.0.0.1:80', '[2001:db8::1]:443'],
    errorMessage: 'must be IPv4:port or [IPv6]:port with an IP literal, e.g. 10.0.0.1:80 or "[2001:db8::1]:80"',
  });
}

function Integer(min: number, max: number, description: string, defaultValue?: number, errorMessage?: string) {
  return Type.Integer({
    minimum: min,
    maximum: max,
    default: defaultValue,
    description,
    errorMessage: errorMessage ?? `must be an integer ${min}..${max}`,
  });
}

const Backend = Type.Object(
  {
    address: Endpoint('Where to forward flows.'),
    weight: Type.Optional(
      Integer(0, WEIGHT_MAX, `Relative share of new flows (default ${DEFAULTS.weight}); 0 takes no new flows, like drain.`, DEFAULTS.weight),
    ),
    'max-connections': Type.Optional(
      Integer(0, MAX_CONNECTIONS_MAX, 'Most concurrent flows this backend takes; 0 (default) means unlimited.', DEFAULTS.maxConnections),
    ),
    backup: Type.Optional(
      Type.Boolean({
        description: 'A backup takes traffic only while no primary backend is available (default false).',
        default: DEFAULTS.backup,
        errorMessage: 'must be true or false',
      }),
    ),
    state: Type.Optional(
      Keyword(BACKEND_STATES, 'enabled (default) takes traffic; drain keeps established flows but takes no new ones; disabled takes nothing.', DEFAULTS.state),
    ),
  },
  { additionalProperties: false, description: 'One real server behind the virtual service.', errorMessage: 'must be a mapping' },
);

const Persistence = Type.Object(
  {
    type: Keyword(['source-ip'] as const, 'What identifies a client: its source address.'),
    timeout: Type.Optional(
      Duration(
        'persistenceTimeout',
        `How long a client stays on its backend after its last flow (default ${formatDuration(DEFAULTS.persistenceTimeoutMs)}).`,
        DEFAULTS.persistenceTimeoutMs,
      ),
    ),
  },
  { additionalProperties: false, description: 'Send a client back to the backend it used last.', errorMessage: 'must be a mapping' },
);

const health = DEFAULTS.health;
const Health = Type.Object(
  {
    type: Keyword(HEALTH_TYPES, 'tcp: a connect succeeds; http: a GET of `path` answers with an expected status.'),
    interval: Type.Optional(Duration('healthInterval', `Time between probes (default ${formatDuration(health.intervalMs)}).`, health.intervalMs)),
    timeout: Type.Optional(
      Duration('healthTimeout', `How long a probe may take; at most the interval (default ${formatDuration(health.timeoutMs)}).`, health.timeoutMs),
    ),
    rise: Type.Optional(Integer(HEALTH_COUNT_MIN, HEALTH_COUNT_MAX, `Consecutive successes that bring a backend up (default ${health.rise}).`, health.rise)),
    fall: Type.Optional(Integer(HEALTH_COUNT_MIN, HEALTH_COUNT_MAX, `Consecutive failures that take a backend down (default ${health.fall}).`, health.fall)),
    path: Type.Optional(
      Type.String({
        description: `http only: the path requested with GET: starting with "/", visible ASCII, at most ${HTTP_PATH_MAX_LENGTH} characters (default "${health.path}").`,
        default: health.path,
        examples: ['/healthz'],
        errorMessage: 'must be a path starting with "/", e.g. /healthz',
      }),
    ),
    expect: Type.Optional(
      Type.Union([Type.Integer({ minimum: STATUS_MIN, maximum: STATUS_MAX }), Type.String({ pattern: EXPECT_PATTERN })], {
        description: `http only: healthy status codes, as a code (200), a class ("2xx") or a range ("200-399"); default "${health.expectStatus[0]}-${health.expectStatus[1]}".`,
        examples: [200, '2xx', '200-399'],
        errorMessage: 'must be a status code (200), a class ("2xx") or a range ("200-399")',
      }),
    ),
  },
  { additionalProperties: false, description: 'Active health check of every backend.', errorMessage: 'must be a mapping' },
);

const idleDefaults = PROTOCOLS.map((p) => `${formatDuration(DEFAULTS.idleTimeoutMs[p])} for ${p}`).join(', ');

const Service = Type.Object(
  {
    name: Type.String({
      pattern: NAME_PATTERN,
      minLength: 1,
      maxLength: NAME_MAX_LENGTH,
      description: `Unique name of the virtual service: letters, digits, ".", "_", "-"; at most ${NAME_MAX_LENGTH} characters.`,
      errorMessage: `must be 1..${NAME_MAX_LENGTH} characters: letters, digits, ".", "_", "-", starting with a letter or digit`,
    }),
    listen: Endpoint('The virtual service address (VIP and port); unique per protocol.'),
    protocol: Type.Optional(Keyword(PROTOCOLS, `Transport protocol (default ${DEFAULTS.protocol}).`, DEFAULTS.protocol)),
    algorithm: Type.Optional(Keyword(ALGORITHMS, `How a backend is chosen for a new flow (default ${DEFAULTS.algorithm}).`, DEFAULTS.algorithm)),
    'hash-key': Type.Optional(Keyword(HASH_KEYS, `maglev only: what is hashed (default ${DEFAULTS.hashKey}).`, DEFAULTS.hashKey)),
    'maglev-table-size': Type.Optional(
      Integer(
        MAGLEV_TABLE_MIN,
        MAGLEV_TABLE_MAX,
        `maglev only: lookup table size, a prime larger than the number of backends (default ${DEFAULTS.maglevTableSize}).`,
        DEFAULTS.maglevTableSize,
        `must be a prime between ${MAGLEV_TABLE_MIN} and ${MAGLEV_TABLE_MAX}`,
      ),
    ),
    persistence: Type.Optional(Persistence),
    health: Type.Optional(Health),
    fallback: Type.Optional(Endpoint('Sorry server used when no backend is available.')),
    'idle-timeout': Type.Optional(Duration('idleTimeout', `A flow with no traffic for this long is forgotten (default ${idleDefaults}).`)),
    backends: Type.Array(Backend, {
      minItems: 1,
      maxItems: MAX_BACKENDS,
      description: 'The real servers; at least one (a fallback alone is not a service).',
      errorMessage: {
        type: 'must be a list of backends',
        minItems: 'must list at least one backend (a fallback alone is not a service)',
        maxItems: `must list at most ${MAX_BACKENDS} backends`,
      },
    }),
  },
  { additionalProperties: false, description: 'A virtual service: where clients connect and where flows go.', errorMessage: 'must be a mapping' },
);

export const RulesDocument = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Location of this schema, for editors; ignored.' })),
    services: Type.Array(Service, {
      maxItems: MAX_SERVICES,
      description: 'The virtual services of the appliance.',
      errorMessage: { type: 'must be a list of services', maxItems: `must list at most ${MAX_SERVICES} services` },
    }),
  },
  {
    additionalProperties: false,
    description: 'Fulcrum rule table: the virtual services an appliance serves.',
    errorMessage: 'must be a mapping with a "services" list',
  },
);

export type RulesDocument = Static<typeof RulesDocument>;
export type ServiceDocument = RulesDocument['services'][number];
export type BackendDocument = ServiceDocument['backends'][number];

/** The published JSON Schema (`fulcrum rules schema`): plain JSON, no TypeBox symbols. */
export function ruleTableJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(RulesDocument)) as Record<string, unknown>;
  return { $schema: SCHEMA_DIALECT, $id: SCHEMA_ID, title: 'Fulcrum rule table', ...plain };
}
