/**
 * What makes a RuleTable valid and canonical. The encoder refuses anything else (so a config id
 * always names exactly one meaning), and the decoder applies the same rules to bytes from the
 * wire (so an appliance never runs a table the loader would have refused).
 */

import { compareNames } from './canonical.js';
import { canonicalEndpoint, compareEndpoints, isUnspecified, parseEndpoint, type Endpoint } from './endpoint.js';
import type { PathSegment, Problem } from './problems.js';
import {
  durationRangeProblem,
  HEALTH_COUNT_MAX,
  HEALTH_COUNT_MIN,
  healthTimingProblem,
  httpPathProblem,
  MAX_BACKENDS,
  MAX_CONNECTIONS_MAX,
  MAX_SERVICES,
  maglevCapacityProblem,
  maglevTableSizeProblem,
  nameProblem,
  statusRangeProblem,
  WEIGHT_MAX,
} from './limits.js';
import { ALGORITHMS, BACKEND_STATES, DEFAULTS, HASH_KEYS, HEALTH_TYPES, PROTOCOLS, type HealthCheck, type RuleTable, type Service } from './model.js';

type Report = (path: PathSegment[], message: string) => void;

const isIntegerIn = (value: unknown, min: number, max: number): boolean => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/** Empty when `table` is valid and canonical. Paths use the model's (camelCase) field names. */
export function canonicalProblems(table: RuleTable): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (path, message) => problems.push({ path, message });
  if (!Array.isArray(table.services) || table.services.length > MAX_SERVICES) {
    report(['services'], `must be a list of at most ${MAX_SERVICES} services`);
    return problems;
  }
  const listeners = new Map<string, number>();
  table.services.forEach((service, index) => {
    const path: PathSegment[] = ['services', index];
    const previous = table.services[index - 1];
    if (previous !== undefined && compareNames(previous.name, service.name) >= 0) {
      report([...path, 'name'], `"${service.name}" is not after "${previous.name}": names must be unique and sorted`);
    }
    checkService(service, path, report);
    const key = `${service.protocol} ${service.listen}`;
    const first = listeners.get(key);
    if (first !== undefined) report([...path, 'listen'], `same listen address and protocol as services[${first}]`);
    else listeners.set(key, index);
  });
  return problems;
}

/** Parses `text` and insists it is already spelled canonically. */
function endpointAt(text: unknown, path: PathSegment[], report: Report, connectable: boolean): Endpoint | undefined {
  try {
    if (typeof text !== 'string') throw new TypeError('must be an endpoint string');
    if (canonicalEndpoint(text) !== text) throw new TypeError(`"${text}" is not in canonical form (${canonicalEndpoint(text)})`);
    const endpoint = parseEndpoint(text);
    if (connectable && isUnspecified(endpoint)) throw new TypeError('the unspecified address is not a destination');
    return endpoint;
  } catch (error) {
    report(path, (error as Error).message);
    return undefined;
  }
}

function check(path: PathSegment[], problem: string | null, report: Report): void {
  if (problem !== null) report(path, problem);
}

function checkService(service: Service, path: PathSegment[], report: Report): void {
  check([...path, 'name'], typeof service.name === 'string' ? nameProblem(service.name) : 'must be a string', report);
  endpointAt(service.listen, [...path, 'listen'], report, false);
  if (!PROTOCOLS.includes(service.protocol)) report([...path, 'protocol'], 'unknown protocol');
  if (!ALGORITHMS.includes(service.algorithm)) report([...path, 'algorithm'], 'unknown algorithm');
  if (!HASH_KEYS.includes(service.hashKey)) report([...path, 'hashKey'], 'unknown hash key');
  if (service.algorithm === 'maglev') {
    check([...path, 'maglevTableSize'], maglevTableSizeProblem(service.maglevTableSize), report);
    if (Array.isArray(service.backends)) {
      check([...path, 'maglevTableSize'], maglevCapacityProblem(service.maglevTableSize, service.backends.length), report);
    }
  } else {
    if (service.hashKey !== DEFAULTS.hashKey) report([...path, 'hashKey'], 'must be the default unless the algorithm is maglev');
    if (service.maglevTableSize !== DEFAULTS.maglevTableSize) {
      report([...path, 'maglevTableSize'], 'must be the default unless the algorithm is maglev');
    }
  }
  if (service.persistence !== null) {
    if (service.persistence.type !== 'source-ip') report([...path, 'persistence', 'type'], 'unknown persistence type');
    check([...path, 'persistence', 'timeoutMs'], durationRangeProblem('persistenceTimeout', service.persistence.timeoutMs), report);
  }
  if (service.health !== null) checkHealth(service.health, [...path, 'health'], report);
  const listen = service.listen;
  if (service.fallback !== null) {
    endpointAt(service.fallback, [...path, 'fallback'], report, true);
    if (service.fallback === listen) report([...path, 'fallback'], 'is the listen address');
  }
  check([...path, 'idleTimeoutMs'], durationRangeProblem('idleTimeout', service.idleTimeoutMs), report);
  checkBackends(service, [...path, 'backends'], report);
}

function checkHealth(health: HealthCheck, path: PathSegment[], report: Report): void {
  if (!HEALTH_TYPES.includes(health.type)) report([...path, 'type'], 'unknown health check type');
  check([...path, 'intervalMs'], durationRangeProblem('healthInterval', health.intervalMs), report);
  check([...path, 'timeoutMs'], durationRangeProblem('healthTimeout', health.timeoutMs) ?? healthTimingProblem(health.intervalMs, health.timeoutMs), report);
  for (const key of ['rise', 'fall'] as const) {
    if (!isIntegerIn(health[key], HEALTH_COUNT_MIN, HEALTH_COUNT_MAX)) {
      report([...path, key], `must be an integer ${HEALTH_COUNT_MIN}..${HEALTH_COUNT_MAX}`);
    }
  }
  const [low, high] = Array.isArray(health.expectStatus) ? health.expectStatus : [NaN, NaN];
  if (health.type === 'http') {
    check([...path, 'path'], typeof health.path === 'string' ? httpPathProblem(health.path) : 'must be a string', report);
    check([...path, 'expectStatus'], health.expectStatus.length === 2 ? statusRangeProblem(low, high) : 'must be [low, high]', report);
  } else {
    if (health.path !== '') report([...path, 'path'], 'must be empty for a tcp check');
    if (health.expectStatus.length !== 2 || low !== 0 || high !== 0) report([...path, 'expectStatus'], 'must be [0, 0] for a tcp check');
  }
}

function checkBackends(service: Service, path: PathSegment[], report: Report): void {
  if (!Array.isArray(service.backends) || service.backends.length < 1 || service.backends.length > MAX_BACKENDS) {
    report(path, `must hold 1..${MAX_BACKENDS} backends`);
    return;
  }
  let previous: Endpoint | undefined;
  service.backends.forEach((backend, index) => {
    const at = [...path, index];
    const endpoint = endpointAt(backend.address, [...at, 'address'], report, true);
    if (endpoint !== undefined) {
      if (previous !== undefined && compareEndpoints(previous, endpoint) >= 0) {
        report([...at, 'address'], 'backends must be unique and sorted by address');
      }
      if (backend.address === service.listen) report([...at, 'address'], 'is the listen address');
      previous = endpoint;
    }
    if (!isIntegerIn(backend.weight, 0, WEIGHT_MAX)) report([...at, 'weight'], `must be an integer 0..${WEIGHT_MAX}`);
    if (!isIntegerIn(backend.maxConnections, 0, MAX_CONNECTIONS_MAX)) {
      report([...at, 'maxConnections'], `must be an integer 0..${MAX_CONNECTIONS_MAX}`);
    }
    if (typeof backend.backup !== 'boolean') report([...at, 'backup'], 'must be a boolean');
    if (!BACKEND_STATES.includes(backend.state)) report([...at, 'state'], 'unknown backend state');
  });
}
