/**
 * The one canonical RuleTable (model.ts): endpoints in one spelling, lists in one order, and
 * settings that do not apply held at their defaults. Anything that does not change behaviour must
 * not change the config id. (From what the operator wrote to a table: src/rules/document.ts.)
 */

import { compareEndpoints, formatEndpoint, parseEndpoint } from './endpoint.js';
import { DEFAULTS, type Backend, type HealthCheck, type RuleTable, type Service } from './model.js';

export { parseEndpoint } from './endpoint.js';
export type { AddressFamily, Endpoint } from './endpoint.js';

/**
 * Code-unit order. Names are ASCII (see NAME_PATTERN), so this is also byte order, the same in
 * every locale, and what the codec checks.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The canonical form of a table built in code (or of one fresh from a document): endpoints
 * respelled, lists sorted, settings irrelevant to the algorithm or check type reset to defaults.
 * It does not validate; see `canonicalProblems`. Throws TypeError on an unparsable endpoint.
 */
export function canonicalize(table: RuleTable): RuleTable {
  const services = table.services.map(canonicalService);
  services.sort((a, b) => compareNames(a.name, b.name));
  return { services };
}

function canonicalService(service: Service): Service {
  const isMaglev = service.algorithm === 'maglev';
  const backends = service.backends
    .map((backend) => ({ backend, endpoint: parseEndpoint(backend.address) }))
    .sort((a, b) => compareEndpoints(a.endpoint, b.endpoint))
    // `+ 0` turns -0 (YAML and JSON both read `-0` so) into 0: one value, one spelling.
    .map(({ backend, endpoint }): Backend => ({
      ...backend,
      address: formatEndpoint(endpoint),
      weight: backend.weight + 0,
      maxConnections: backend.maxConnections + 0,
    }));
  return {
    ...service,
    listen: formatEndpoint(parseEndpoint(service.listen)),
    hashKey: isMaglev ? service.hashKey : DEFAULTS.hashKey,
    maglevTableSize: isMaglev ? service.maglevTableSize : DEFAULTS.maglevTableSize,
    persistence: service.persistence === null ? null : { ...service.persistence },
    health: service.health === null ? null : canonicalHealth(service.health),
    fallback: service.fallback === null ? null : formatEndpoint(parseEndpoint(service.fallback)),
    backends,
  };
}

function canonicalHealth(health: HealthCheck): HealthCheck {
  if (health.type === 'http') return { ...health, expectStatus: [...health.expectStatus] };
  return { ...health, path: '', expectStatus: [0, 0] };
}
