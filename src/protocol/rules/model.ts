/**
 * The rule table in canonical form: every default filled in, every duration in milliseconds,
 * every address in one spelling, services sorted by name and backends by address.
 * Two rule files that mean the same thing have the same canonical form, hence the same
 * binary encoding and the same config id.
 */

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const ALGORITHMS = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'weighted-least-connections',
  'two-choices',
  'least-response-time',
  'maglev',
] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** What Maglev hashes: the client address alone (sticky per client) or the whole 5-tuple. */
export const HASH_KEYS = ['source-ip', '5-tuple'] as const;
export type HashKey = (typeof HASH_KEYS)[number];

/** enabled: takes traffic; drain: keeps established flows, takes no new ones; disabled: takes nothing. */
export const BACKEND_STATES = ['enabled', 'drain', 'disabled'] as const;
export type BackendState = (typeof BACKEND_STATES)[number];

export const HEALTH_TYPES = ['tcp', 'http'] as const;
export type HealthType = (typeof HEALTH_TYPES)[number];

/**
 * An endpoint in canonical text: `a.b.c.d:port` or `[v6]:port`, the IPv6 address in RFC 5952
 * form (lower case, longest zero run compressed).
 */
export type EndpointText = string;

export interface HealthCheck {
  type: HealthType;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  /** http only ('' for tcp): the path requested with GET. */
  path: string;
  /** http only ([0, 0] for tcp): the inclusive range of status codes that count as healthy. */
  expectStatus: [number, number];
}

export interface Persistence {
  type: 'source-ip';
  timeoutMs: number;
}

export interface Backend {
  address: EndpointText;
  /** 0..65535; 0 takes no new flows (like drain). */
  weight: number;
  /** 0 = unlimited. */
  maxConnections: number;
  backup: boolean;
  state: BackendState;
}

export interface Service {
  name: string;
  listen: EndpointText;
  protocol: Protocol;
  algorithm: Algorithm;
  /** Only meaningful for maglev; canonical form holds the default otherwise. */
  hashKey: HashKey;
  /** Only meaningful for maglev; a prime. Canonical form holds the default otherwise. */
  maglevTableSize: number;
  persistence: Persistence | null;
  health: HealthCheck | null;
  fallback: EndpointText | null;
  /** A flow with no traffic for this long is forgotten (UDP session, TCP idle close). */
  idleTimeoutMs: number;
  backends: Backend[];
}

export interface RuleTable {
  services: Service[];
}

export const DEFAULTS = {
  protocol: 'tcp' as Protocol,
  algorithm: 'round-robin' as Algorithm,
  hashKey: 'source-ip' as HashKey,
  maglevTableSize: 65_537,
  persistenceTimeoutMs: 300_000,
  health: { intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '/', expectStatus: [200, 399] as [number, number] },
  idleTimeoutMs: { tcp: 300_000, udp: 30_000 } as Record<Protocol, number>,
  weight: 1,
  maxConnections: 0,
  backup: false,
  state: 'enabled' as BackendState,
} as const;
