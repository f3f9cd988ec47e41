/** fast-check generators of valid, canonical rule tables (and the YAML an operator could write for them). */

import fc from 'fast-check';
import { canonicalize, formatDuration, formatEndpoint, type AddressFamily } from '../../../../src/protocol/rules/index.js';
import { DURATION_LIMITS, isPrime, MAGLEV_TABLE_MAX, MAGLEV_TABLE_MIN } from '../../../../src/protocol/rules/limits.js';
import {
  ALGORITHMS,
  BACKEND_STATES,
  HASH_KEYS,
  PROTOCOLS,
  type Backend,
  type HealthCheck,
  type RuleTable,
  type Service,
} from '../../../../src/protocol/rules/model.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

/** IPv6 with the shapes that exercise RFC 5952: zero runs of every length, IPv4-mapped. */
const ipv6 = fc.oneof(
  bytes(16),
  fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((words) => {
    const out = new Uint8Array(16);
    words.forEach((w, i) => {
      out[i * 2] = w >> 8;
      out[i * 2 + 1] = w & 0xff;
    });
    return out;
  }),
  bytes(4).map((v4) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4])),
);

const address = fc.oneof(
  fc.record({ family: fc.constant<AddressFamily>(4), bytes: bytes(4) }),
  fc.record({ family: fc.constant<AddressFamily>(6), bytes: ipv6 }),
);

export const endpointText = fc
  .record({ address, port: fc.integer({ min: 1, max: 65_535 }) })
  .map(({ address: { family, bytes: b }, port }) => formatEndpoint({ family, bytes: b, port }));

/** Not 0.0.0.0 / ::, which can be listened on but not connected to. */
const destination = endpointText.filter((text) => !/^(0\.0\.0\.0|\[::\]):/.test(text));

const duration = (field: keyof typeof DURATION_LIMITS) => fc.integer({ min: DURATION_LIMITS[field].min, max: DURATION_LIMITS[field].max });

const primeAtLeast = (n: number): number => {
  let p = n;
  while (!isPrime(p)) p++;
  return p;
};
const maglevSize = fc.oneof(fc.constantFrom(MAGLEV_TABLE_MIN, 65_537, MAGLEV_TABLE_MAX), fc.integer({ min: MAGLEV_TABLE_MIN, max: 999_000 })).map(primeAtLeast);

const health: fc.Arbitrary<HealthCheck> = fc
  .record({
    type: fc.constantFrom('tcp' as const, 'http' as const),
    intervalMs: duration('healthInterval'),
    timeoutFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    rise: fc.integer({ min: 1, max: 255 }),
    fall: fc.integer({ min: 1, max: 255 }),
    path: fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
    statuses: fc.tuple(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 })),
  })
  .map(({ type, intervalMs, timeoutFraction, rise, fall, path, statuses: [a, b] }) => {
    const { min } = DURATION_LIMITS.healthTimeout;
    const timeoutMs = min + Math.floor(timeoutFraction * (intervalMs - min));
    return type === 'http'
      ? { type, intervalMs, timeoutMs, rise, fall, path, expectStatus: [Math.min(a, b), Math.max(a, b)] as [number, number] }
      : { type, intervalMs, timeoutMs, rise, fall, path: '', expectStatus: [0, 0] as [number, number] };
  });

const backend: fc.Arbitrary<Backend> = fc.record({
  address: destination,
  weight: fc.integer({ min: 0, max: 65_535 }),
  maxConnections: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4_294_967_295 })),
  backup: fc.boolean(),
  state: fc.constantFrom(...BACKEND_STATES),
});

const service: fc.Arbitrary<Service> = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/),
    listen: endpointText,
    protocol: fc.constantFrom(...PROTOCOLS),
    algorithm: fc.constantFrom(...ALGORITHMS),
    hashKey: fc.constantFrom(...HASH_KEYS),
    maglevTableSize: maglevSize,
    persistence: fc.option(fc.record({ type: fc.constant('source-ip' as const), timeoutMs: duration('persistenceTimeout') }), { nil: null }),
    health: fc.option(health, { nil: null }),
    fallback: fc.option(destination, { nil: null }),
    idleTimeoutMs: duration('idleTimeout'),
    backends: fc.uniqueArray(backend, { minLength: 1, maxLength: 6, selector: (b) => b.address }),
  })
  .map((s) => ({
    ...s,
    fallback: s.fallback === s.listen ? null : s.fallback,
    backends: s.backends.filter((b) => b.address !== s.listen),
  }))
  .filter((s) => s.backends.length > 0);

/** Canonical tables: unique sorted names, unique listeners, settings that do not apply at defaults. */
export const ruleTable: fc.Arbitrary<RuleTable> = fc.uniqueArray(service, { maxLength: 5, selector: (s) => s.name }).map((services) => {
  const listeners = new Set<string>();
  const kept = services.filter((s) => {
    const key = `${s.protocol} ${s.listen}`;
    if (listeners.has(key)) return false;
    listeners.add(key);
    return true;
  });
  return canonicalize({ services: kept });
});

/** What an operator could have written for a canonical table (kebab-case, durations with units). */
export function toDocument(table: RuleTable): unknown {
  return {
    services: table.services.map((s) => ({
      name: s.name,
      listen: s.listen,
      protocol: s.protocol,
      algorithm: s.algorithm,
      ...(s.algorithm === 'maglev' ? { 'hash-key': s.hashKey, 'maglev-table-size': s.maglevTableSize } : {}),
      ...(s.persistence ? { persistence: { type: s.persistence.type, timeout: formatDuration(s.persistence.timeoutMs) } } : {}),
      ...(s.health ? { health: healthDocument(s.health) } : {}),
      ...(s.fallback !== null ? { fallback: s.fallback } : {}),
      'idle-timeout': formatDuration(s.idleTimeoutMs),
      backends: s.backends.map((b) => ({
        address: b.address,
        weight: b.weight,
        'max-connections': b.maxConnections,
        backup: b.backup,
        state: b.state,
      })),
    })),
  };
}

function healthDocument(h: HealthCheck): Record<string, unknown> {
  const common = {
    type: h.type,
    interval: formatDuration(h.intervalMs),
    timeout: formatDuration(h.timeoutMs),
    rise: h.rise,
    fall: h.fall,
  };
  return h.type === 'http' ? { ...common, path: h.path, expect: `${h.expectStatus[0]}-${h.expectStatus[1]}` } : common;
}
