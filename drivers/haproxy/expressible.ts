/**
 * What an HAProxy box cannot run as the rule table says, checked before anything is written: a
 * push is refused whole rather than run with a different meaning. Lossy spellings with the same
 * behaviour are not refused: drain (weight 0 in the file, drained at run time), a weighted
 * algorithm with equal weights, weights a plain algorithm ignores, and Maglev's table size
 * (HAProxy's consistent hash on the client address stands for Maglev on the source address).
 */

import type { RuleTable } from '../../src/protocol/rules/model.js';
import { HAPROXY_MAX_WEIGHT } from '../../src/interop/haproxy/render.js';

/** One reason per service and field, in table order; empty when HAProxy runs the table as it means. */
export function haproxyProblems(table: RuleTable): string[] {
  const problems: string[] = [];
  for (const s of table.services) {
    if (s.protocol === 'udp') problems.push(`service ${s.name}: protocol udp: HAProxy 2.6 proxies TCP only`);
    if (s.algorithm === 'least-response-time')
      problems.push(`service ${s.name}: algorithm least-response-time: HAProxy has no such balancing (leastconn is the closest)`);
    if (s.algorithm === 'maglev' && s.hashKey === '5-tuple')
      problems.push(`service ${s.name}: hash-key 5-tuple: HAProxy hashes the client address only in TCP mode`);
    const weighted = s.algorithm !== 'round-robin' && s.algorithm !== 'least-connections';
    const heavy = s.backends.filter((b) => b.weight > HAPROXY_MAX_WEIGHT);
    if (weighted && heavy.length > 0) {
      problems.push(
        `service ${s.name}: backend ${heavy[0]!.address} weight ${heavy[0]!.weight}: HAProxy takes weights 0..${HAPROXY_MAX_WEIGHT} (scale them down)`,
      );
    }
  }
  return problems;
}
