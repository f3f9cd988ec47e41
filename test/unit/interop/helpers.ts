/** Shared by the interop tests: import a snippet, look up services, read the report as text. */

import { expect } from 'vitest';
import { DEFAULTS, type Backend, type RuleTable, type Service } from '../../../src/protocol/rules/model.js';
import { ImportError, importConfig, type Format } from '../../../src/interop/index.js';

export function imported(text: string, from: Format, file = 'test.cfg') {
  const result = importConfig(text, file, { from });
  const byName = new Map(result.table.services.map((s) => [s.name, s] as const));
  return {
    ...result,
    service(name: string): Service {
      const found = byName.get(name);
      if (found === undefined) throw new Error(`no service "${name}" in ${[...byName.keys()].join(', ')}`);
      return found;
    },
    /** `LINE directive: reason`, one per entry. */
    reasons: result.report.map((o) => `${o.line} ${o.directive}: ${o.reason}`),
  };
}

/** The report entries of one line. */
export function onLine(reasons: readonly string[], line: number): string[] {
  return reasons.filter((r) => r.startsWith(`${line} `));
}

/** The ImportError `fn` throws (fails the test if it throws something else or nothing). */
export function importError(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ImportError);
    return error as ImportError;
  }
  throw new Error('expected an ImportError');
}

/** A canonical service for export tests: defaults filled, backends 127.0.0.1:9001… unless given. */
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
    backends: backends.map((b, i): Backend => ({ address: `127.0.0.1:${9001 + i}`, weight: 1, maxConnections: 0, backup: false, state: 'enabled', ...b })),
  };
}

/** Services in the order given (callers list them sorted by name, as canonical tables are). */
export function table(...services: Service[]): RuleTable {
  return { services };
}
