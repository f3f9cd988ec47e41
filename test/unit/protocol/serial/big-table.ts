/** A realistic large rule table (200 services, 4 backends each, HTTP checks) and edits of it, for patch and line-budget tests. */

import { canonicalize, encodeRules, type RuleTable } from '../../../../src/protocol/rules/index.js';
import { service } from '../../../support/rules.js';

export function bigTable(services = 200, backendsPerService = 4): RuleTable {
  return canonicalize({
    services: Array.from({ length: services }, (_, i) =>
      service({
        name: `svc-${String(i).padStart(3, '0')}`,
        listen: `10.1.${i >> 8}.${i & 0xff}:443`,
        algorithm: i % 3 === 0 ? 'least-connections' : 'weighted-round-robin',
        health: { type: 'http', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, path: '/healthz', expectStatus: [200, 399] },
        backends: Array.from({ length: backendsPerService }, (_, j) => ({
          address: `10.2.${i >> 8}.${i & 0xff}:${8000 + j}`,
          weight: 10 + j,
        })),
      }),
    ),
  });
}

/** `table` with the weight of one backend changed. */
export function withWeight(table: RuleTable, serviceIndex: number, backendIndex: number, weight: number): RuleTable {
  return {
    services: table.services.map((s, i) =>
      i !== serviceIndex ? s : { ...s, backends: s.backends.map((b, j) => (j !== backendIndex ? b : { ...b, weight })) },
    ),
  };
}

export const encode = (table: RuleTable) => encodeRules(table);
