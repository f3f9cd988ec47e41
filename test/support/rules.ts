import type { Backend, RuleTable, Service } from '../../src/protocol/rules/model.js';
import { DEFAULTS } from '../../src/protocol/rules/model.js';

/** A canonical service for tests: defaults filled, the given backends (addresses 127.0.0.1:9001…). */
export function service(partial: Omit<Partial<Service>, 'backends'> & { backends: Partial<Backend>[] }): Service {
  const { backends, ...rest } = partial;
  return {
    name: 'svc',
    listen: '127.0.0.1:8000',
    protocol: 'tcp',
    algorithm: 'round-robin',
    hashKey: DEFAULTS.hashKey,
    maglevTableSize: DEFAULTS.maglevTableSize,
    persistence: null,
    health: null,
    fallback: null,
    idleTimeoutMs: 300_000,
    ...rest,
    backends: backends.map((b, i) => ({
      address: `127.0.0.1:${9001 + i}`,
      weight: 1,
      maxConnections: 0,
      backup: false,
      state: 'enabled',
      ...b,
    })),
  };
}

export function table(...services: Service[]): RuleTable {
  return { services };
}
