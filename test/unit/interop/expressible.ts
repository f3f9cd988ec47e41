/**
 * For the round-trip properties: what each format can express, as a projection of any canonical
 * table onto that subset (the projection of an expressible table is the table itself). Export of
 * a projected table must report nothing, and import of the export must give the same config id.
 */

import { canonicalize } from '../../../src/protocol/rules/canonical.js';
import { DEFAULTS, type Algorithm, type Backend, type RuleTable, type Service } from '../../../src/protocol/rules/model.js';
import { uniformWeights } from '../../../src/interop/draft.js';

const PLAIN: Partial<Record<Algorithm, Algorithm>> = { 'weighted-round-robin': 'round-robin', 'weighted-least-connections': 'least-connections' };

/** Weights that read back as the service's algorithm in a format whose schedulers always weigh. */
function weightsForFamily(service: Service): Service {
  const weights = service.backends.map((b) => b.weight);
  if (service.algorithm === 'round-robin' || service.algorithm === 'least-connections') {
    return uniformWeights(weights) ? service : { ...service, backends: service.backends.map((b) => ({ ...b, weight: b.weight > 0 ? 1 : 0 })) };
  }
  const plain = PLAIN[service.algorithm];
  if (plain === undefined || !uniformWeights(weights)) return service;
  if (service.backends.length < 2) return { ...service, algorithm: plain };
  const backends = service.backends.map((b, i): Backend => (i < 2 ? { ...b, weight: i + 1 } : b));
  return { ...service, backends };
}

export function forHaproxy(table: RuleTable): RuleTable {
  const services = table.services
    .filter((s) => s.protocol === 'tcp')
    .map((s) => {
      const algorithm: Algorithm = s.algorithm === 'least-response-time' ? 'least-connections' : s.algorithm;
      const top = Math.max(...s.backends.map((b) => b.weight));
      const backends = s.backends.map((b): Backend => ({
        ...b,
        weight: top > 256 ? (b.weight === 0 ? 0 : Math.max(1, Math.round((b.weight * 256) / top))) : b.weight,
        state: b.state === 'drain' ? 'enabled' : b.state,
      }));
      return weightsForFamily({ ...s, algorithm, hashKey: 'source-ip', maglevTableSize: DEFAULTS.maglevTableSize, backends });
    });
  return canonicalize({ services });
}

export function forNginx(table: RuleTable): RuleTable {
  const services = table.services.map((s) => {
    const algorithm: Algorithm = s.algorithm === 'least-response-time' ? 'least-connections' : s.algorithm;
    // nginx refuses backups with hash and random, and an upstream of backups only.
    const noBackups = algorithm === 'maglev' || algorithm === 'two-choices' || s.backends.every((b) => b.backup);
    // nginx builds 160 ring points per unit of weight for hash consistent: weights are scaled to 100.
    const top = Math.max(...s.backends.map((b) => b.weight));
    const scale = (w: number) => (algorithm === 'maglev' && top > 100 ? Math.max(1, Math.round((w * 100) / top)) : w);
    const backends = s.backends.map((b): Backend => ({
      ...b,
      weight: b.weight === 0 ? 1 : scale(b.weight),
      state: b.state === 'drain' ? 'enabled' : b.state,
      backup: noBackups ? false : b.backup,
    }));
    const mapped = /^\[::ffff:([0-9.]+)\]:([0-9]+)$/.exec(s.listen);
    const listen = mapped === null ? s.listen : `${mapped[1]}:${mapped[2]}`;
    const kept = backends.filter((b) => b.address !== listen);
    return weightsForFamily({
      ...s,
      listen,
      algorithm,
      maglevTableSize: DEFAULTS.maglevTableSize,
      persistence: null,
      health: null,
      fallback: null,
      backends: kept,
    });
  });
  // Unmapping a listen address may make it another service's, or leave a service without backends.
  const seen = new Set<string>();
  const kept = services.filter((s) => {
    const key = `${s.protocol} ${s.listen}`;
    if (s.backends.length === 0 || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return canonicalize({ services: kept });
}

export function forKeepalived(table: RuleTable): RuleTable {
  const family = (endpoint: string) => (endpoint.startsWith('[') ? 6 : 4);
  const idle = new Map<string, number>();
  const services = table.services.flatMap((s): Service[] => {
    const backends = s.backends.filter((b) => family(b.address) === family(s.listen)).map((b): Backend => ({ ...b, backup: false, state: 'enabled' }));
    if (backends.length === 0) return [];
    // keepalived refuses a virtual server whose real servers weigh nothing in total.
    if (backends.every((b) => b.weight === 0)) backends[0] = { ...backends[0]!, weight: 1 };
    const seconds = (ms: number) => Math.ceil(ms / 1_000) * 1_000;
    const idleMs = idle.get(s.protocol) ?? seconds(s.idleTimeoutMs);
    idle.set(s.protocol, idleMs);
    return [
      {
        ...s,
        algorithm: s.algorithm === 'least-response-time' ? 'weighted-least-connections' : s.algorithm,
        maglevTableSize: DEFAULTS.maglevTableSize,
        persistence: s.persistence === null ? null : { ...s.persistence, timeoutMs: seconds(s.persistence.timeoutMs) },
        health: s.health === null ? null : { ...s.health, rise: 1, path: s.health.type === 'http' ? s.health.path.replace(/"/g, '%22') : '' },
        fallback: s.fallback !== null && family(s.fallback) === family(s.listen) ? s.fallback : null,
        idleTimeoutMs: idleMs,
        backends,
      },
    ];
  });
  return canonicalize({ services });
}
