/**
 * The rules JSON Schema cannot state: uniqueness across list items (listen addresses that could
 * not all be bound: listen-conflicts.ts), relations between fields, primes, valid octets,
 * durations within range, settings that do not apply to the chosen algorithm or check type.
 *
 * Runs on the document even when the schema found problems, so the operator sees everything in
 * one pass; each check therefore looks only at values of the right shape and leaves the rest to
 * the schema's report (which is what keeps a bad value from being reported twice).
 */

import { DURATION_PATTERN, durationProblem, formatDuration, parseDuration } from '../protocol/rules/duration.js';
import { ENDPOINT_PATTERN, endpointProblem, formatEndpoint, isUnspecified, parseEndpoint, type Endpoint } from '../protocol/rules/endpoint.js';
import type { PathSegment, Problem } from '../protocol/rules/problems.js';
import {
  durationRangeProblem,
  healthTimingProblem,
  httpPathProblem,
  MAGLEV_TABLE_MAX,
  MAGLEV_TABLE_MIN,
  maglevCapacityProblem,
  maglevTableSizeProblem,
  nameProblem,
  statusRangeProblem,
  type DurationField,
} from '../protocol/rules/limits.js';
import { ALGORITHMS, DEFAULTS, HEALTH_TYPES, PROTOCOLS } from '../protocol/rules/model.js';
import { EXPECT_PATTERN, parseExpect } from '../protocol/rules/status.js';
import { reportListenConflicts, type Listener } from './listen-conflicts.js';

type Mapping = Record<string, unknown>;

const endpointShape = new RegExp(ENDPOINT_PATTERN);
const durationShape = new RegExp(DURATION_PATTERN);
const expectShape = new RegExp(EXPECT_PATTERN);

function isRecord(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value if it is one of `words`, the default if absent, undefined if it is wrong (the schema says so). */
function keyword<T extends string>(value: unknown, words: readonly T[], fallback: T): T | undefined {
  if (value === undefined) return fallback;
  return words.find((word) => word === value);
}

class Checker {
  readonly problems: Problem[] = [];

  report(path: PathSegment[], message: string, target?: Problem['target']): void {
    this.problems.push(target === undefined ? { path, message } : { path, message, target });
  }

  /** An endpoint of the right shape that fails to parse, or that cannot be connected to. */
  endpoint(value: unknown, path: PathSegment[], connectable: boolean): { endpoint: Endpoint; text: string } | undefined {
    if (typeof value !== 'string' || !endpointShape.test(value)) return undefined;
    const problem = endpointProblem(value);
    if (problem !== null) {
      this.report(path, problem);
      return undefined;
    }
    const endpoint = parseEndpoint(value);
    const text = formatEndpoint(endpoint);
    if (connectable && isUnspecified(endpoint)) {
      this.report(path, `${value} is the unspecified address; flows need a real destination`);
      return undefined;
    }
    return { endpoint, text };
  }

  /** Milliseconds; `fallback` when absent; undefined when wrong (and then reported once). */
  duration(value: unknown, path: PathSegment[], field: DurationField, fallback?: number): number | undefined {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !durationShape.test(value)) return undefined;
    const problem = durationProblem(value) ?? durationRangeProblem(field, parseDuration(value));
    if (problem !== null) {
      this.report(path, problem);
      return undefined;
    }
    return parseDuration(value);
  }

  /** A key that means nothing with the chosen algorithm or check type is most likely a mistake. */
  inapplicable(object: Mapping, keys: readonly string[], path: PathSegment[], reason: string): void {
    for (const key of keys) if (key in object) this.report([...path, key], `only applies to ${reason}`, 'key');
  }
}

export function semanticProblems(document: unknown): Problem[] {
  const check = new Checker();
  const services = isRecord(document) ? document.services : undefined;
  if (!Array.isArray(services)) return check.problems;
  const names = new Map<string, number>();
  const listeners: Listener[] = [];
  services.forEach((service, index) => {
    if (!isRecord(service)) return;
    const path = ['services', index];
    if (typeof service.name === 'string' && nameProblem(service.name) === null) {
      const first = names.get(service.name);
      if (first === undefined) names.set(service.name, index);
      else check.report([...path, 'name'], `duplicate service name "${service.name}" (also services[${first}])`);
    }
    const listen = check.endpoint(service.listen, [...path, 'listen'], false);
    const protocol = keyword(service.protocol, PROTOCOLS, DEFAULTS.protocol);
    if (listen !== undefined && protocol !== undefined) {
      const name = typeof service.name === 'string' && nameProblem(service.name) === null ? service.name : undefined;
      listeners.push({ index, name, protocol, endpoint: listen.endpoint, text: listen.text });
    }
    checkAlgorithm(check, service, path);
    if (isRecord(service.persistence)) {
      check.duration(service.persistence.timeout, [...path, 'persistence', 'timeout'], 'persistenceTimeout');
    }
    if (isRecord(service.health)) checkHealth(check, service.health, [...path, 'health']);
    const fallback = check.endpoint(service.fallback, [...path, 'fallback'], true);
    if (fallback !== undefined && fallback.text === listen?.text) {
      check.report([...path, 'fallback'], `${fallback.text} is the service's own listen address (flows would loop)`);
    }
    check.duration(service['idle-timeout'], [...path, 'idle-timeout'], 'idleTimeout');
    if (Array.isArray(service.backends)) checkBackends(check, service.backends, [...path, 'backends'], listen?.text);
  });
  reportListenConflicts(listeners, (path, message) => check.report(path, message));
  return check.problems;
}

function checkAlgorithm(check: Checker, service: Mapping, path: PathSegment[]): void {
  const algorithm = keyword(service.algorithm, ALGORITHMS, DEFAULTS.algorithm);
  const size = service['maglev-table-size'];
  const sizePath = [...path, 'maglev-table-size'];
  const sizeInRange = Number.isInteger(size) && (size as number) >= MAGLEV_TABLE_MIN && (size as number) <= MAGLEV_TABLE_MAX;
  if (sizeInRange) {
    const problem = maglevTableSizeProblem(size as number);
    if (problem !== null) check.report(sizePath, problem);
  }
  if (algorithm === undefined) return;
  if (algorithm !== 'maglev') {
    check.inapplicable(service, ['hash-key', 'maglev-table-size'], path, `algorithm: maglev (this service uses ${algorithm})`);
    return;
  }
  const effectiveSize = size === undefined ? DEFAULTS.maglevTableSize : sizeInRange ? (size as number) : undefined;
  const backends = service.backends;
  if (effectiveSize !== undefined && Array.isArray(backends)) {
    const problem = maglevCapacityProblem(effectiveSize, backends.length);
    if (problem !== null) check.report(size === undefined ? [...path, 'algorithm'] : sizePath, problem);
  }
}

function checkHealth(check: Checker, health: Mapping, path: PathSegment[]): void {
  const defaults = DEFAULTS.health;
  const interval = check.duration(health.interval, [...path, 'interval'], 'healthInterval', defaults.intervalMs);
  const timeout = check.duration(health.timeout, [...path, 'timeout'], 'healthTimeout', defaults.timeoutMs);
  if (interval !== undefined && timeout !== undefined) {
    const problem = healthTimingProblem(interval, timeout);
    if (problem !== null && health.timeout !== undefined) check.report([...path, 'timeout'], `${problem}; it must not be`);
    else if (problem !== null) {
      const message = `interval ${formatDuration(interval)} is shorter than the default timeout ${formatDuration(timeout)}; set a timeout too`;
      check.report([...path, 'interval'], message);
    }
  }
  const type = keyword(health.type, HEALTH_TYPES, 'tcp');
  if (health.type === undefined || type === undefined) return;
  if (type === 'tcp') {
    check.inapplicable(health, ['path', 'expect'], path, 'type: http');
    return;
  }
  if (typeof health.path === 'string') {
    const problem = httpPathProblem(health.path);
    if (problem !== null) check.report([...path, 'path'], problem);
  }
  if (typeof health.expect === 'string' && expectShape.test(health.expect)) {
    const [low, high] = parseExpect(health.expect);
    const problem = statusRangeProblem(low, high);
    if (problem !== null) check.report([...path, 'expect'], problem);
  }
}

function checkBackends(check: Checker, backends: unknown[], path: PathSegment[], listen: string | undefined): void {
  const seen = new Map<string, number>();
  backends.forEach((backend, index) => {
    if (!isRecord(backend)) return;
    const addressPath = [...path, index, 'address'];
    const address = check.endpoint(backend.address, addressPath, true);
    if (address === undefined) return;
    const first = seen.get(address.text);
    if (first !== undefined) check.report(addressPath, `duplicate backend address ${address.text} (also backends[${first}])`);
    else seen.set(address.text, index);
    if (address.text === listen) check.report(addressPath, `${address.text} is the service's own listen address (flows would loop)`);
  });
}
