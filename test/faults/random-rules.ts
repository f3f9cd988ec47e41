/**
 * Random but valid rule tables for the fault campaign, from a seeded generator: a few services
 * or a few dozen, with every algorithm, weights, states, sometimes health checks, persistence,
 * fallbacks and IPv6. Written as YAML and loaded by the real loader, as an operator's file is.
 */

import { type RuleTable } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import type { Rng } from './rng.js';

const ALGORITHMS = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'weighted-least-connections',
  'two-choices',
  'least-response-time',
  'maglev',
] as const;
const STATES = ['enabled', 'enabled', 'enabled', 'drain', 'disabled'] as const;

export interface RandomTableOptions {
  /** Most tables have at most this many services… */
  typicalServices: number;
  /** …and a few up to this many. */
  maxServices: number;
}

export function randomTable(rng: Rng, options: RandomTableOptions): RuleTable {
  const count = rng.chance(0.85) ? rng.int(1, options.typicalServices) : rng.int(1, options.maxServices);
  const lines = ['services:'];
  const names = new Set<string>();
  for (let s = 0; s < count; s++) {
    let name = `svc-${rng.int(0, 9_999)}`;
    while (names.has(name)) name = `svc-${rng.int(0, 9_999)}`;
    names.add(name);
    const v6 = rng.chance(0.15);
    const listen = v6 ? `"[2001:db8::${(s + 1).toString(16)}]:${rng.int(1, 65_535)}"` : `10.${s >> 8}.${s & 255}.1:${rng.int(1, 65_535)}`;
    const algorithm = rng.pick(ALGORITHMS);
    lines.push(`  - name: ${name}`, `    listen: ${listen}`, `    protocol: ${rng.chance(0.2) ? 'udp' : 'tcp'}`, `    algorithm: ${algorithm}`);
    if (algorithm === 'maglev')
      lines.push(`    maglev-table-size: ${rng.pick([251, 1021, 4093, 65_537])}`, `    hash-key: ${rng.pick(['source-ip', '5-tuple'])}`);
    if (rng.chance(0.1)) lines.push(`    persistence: { type: source-ip, timeout: ${rng.int(1, 600)}s }`);
    if (rng.chance(0.1)) lines.push(`    health: { type: tcp, interval: ${rng.int(2, 10)}s, timeout: 1s, rise: ${rng.int(1, 5)}, fall: ${rng.int(1, 5)} }`);
    if (rng.chance(0.1)) lines.push(`    fallback: 127.0.0.1:${rng.int(1, 65_535)}`);
    lines.push('    backends:');
    const backends = rng.int(1, 4);
    for (let b = 0; b < backends; b++) {
      const state = rng.pick(STATES);
      lines.push(
        `      - { address: 192.0.2.${b + 1}:${rng.int(1, 65_535)}, weight: ${rng.int(0, 1_000)}, max-connections: ${rng.chance(0.3) ? rng.int(1, 100_000) : 0}, backup: ${rng.chance(0.1)}, state: ${state} }`,
      );
    }
  }
  return loadRules(lines.join('\n'), 'campaign.yaml');
}
