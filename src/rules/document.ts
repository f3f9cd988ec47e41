/**
 * From what the operator wrote (a document that passed the schema and the semantic checks) to the
 * canonical RuleTable: defaults filled in, durations in milliseconds, then canonicalize().
 */

import { canonicalize } from '../protocol/rules/canonical.js';
import { parseDuration } from '../protocol/rules/duration.js';
import { DEFAULTS, type Backend, type HealthCheck, type RuleTable, type Service } from '../protocol/rules/model.js';
import { parseExpect } from '../protocol/rules/status.js';
import type { RulesDocument, ServiceDocument } from './schema.js';

type HealthDocument = NonNullable<ServiceDocument['health']>;

/** Assumes `document` passed the schema and the semantic checks (loadRules does both first). */
export function toCanonical(document: RulesDocument): RuleTable {
  return canonicalize({ services: document.services.map(serviceFrom) });
}

function milliseconds(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : parseDuration(text);
}

function serviceFrom(service: ServiceDocument): Service {
  const protocol = service.protocol ?? DEFAULTS.protocol;
  const persistence = service.persistence;
  return {
    name: service.name,
    listen: service.listen,
    protocol,
    algorithm: service.algorithm ?? DEFAULTS.algorithm,
    hashKey: service['hash-key'] ?? DEFAULTS.hashKey,
    maglevTableSize: service['maglev-table-size'] ?? DEFAULTS.maglevTableSize,
    persistence: persistence === undefined ? null : { type: persistence.type, timeoutMs: milliseconds(persistence.timeout, DEFAULTS.persistenceTimeoutMs) },
    health: service.health === undefined ? null : healthFrom(service.health),
    fallback: service.fallback ?? null,
    idleTimeoutMs: milliseconds(service['idle-timeout'], DEFAULTS.idleTimeoutMs[protocol]),
    backends: service.backends.map((backend): Backend => ({
      address: backend.address,
      weight: backend.weight ?? DEFAULTS.weight,
      maxConnections: backend['max-connections'] ?? DEFAULTS.maxConnections,
      backup: backend.backup ?? DEFAULTS.backup,
      state: backend.state ?? DEFAULTS.state,
    })),
  };
}

function healthFrom(health: HealthDocument): HealthCheck {
  const defaults = DEFAULTS.health;
  return {
    type: health.type,
    intervalMs: milliseconds(health.interval, defaults.intervalMs),
    timeoutMs: milliseconds(health.timeout, defaults.timeoutMs),
    rise: health.rise ?? defaults.rise,
    fall: health.fall ?? defaults.fall,
    path: health.path ?? defaults.path,
    expectStatus: health.expect === undefined ? [...defaults.expectStatus] : parseExpect(health.expect),
  };
}
