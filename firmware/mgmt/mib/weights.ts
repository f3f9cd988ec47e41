/**
 * Writing fulcrumBackendWeight: SNMP's one write to the running configuration itself (the
 * candidate tables are the general way). A weight write is a small config change like F5's
 * pool-member ratio: the appliance commits the running table with the new weights, so the config
 * id changes, the history records it and a reboot keeps it.
 *
 * Backends are named by their MIB indexes (1-based positions: services by name, backends by
 * address), resolved against the config running when the write is applied.
 */

import { encodeRules, type RuleTable } from '../../../src/protocol/rules/index.js';
import type { ChangeResult, ConfigManager } from '../config-manager.js';
import { MgmtError } from '../errors.js';

export interface WeightChange {
  /** fulcrumServiceIndex. */
  service: number;
  /** fulcrumBackendIndex. */
  backend: number;
  weight: number;
}

/** Whether (service, backend) names a row of fulcrumBackendTable for `table`. */
export function backendExists(table: RuleTable, service: number, backend: number): boolean {
  return table.services[service - 1]?.backends[backend - 1] !== undefined;
}

/** `table` with the weights changed (a new table; `table` is not touched). Throws MgmtError on a missing row. */
export function withWeights(table: RuleTable, changes: readonly WeightChange[]): RuleTable {
  const services = table.services.map((s) => ({ ...s, backends: s.backends.map((b) => ({ ...b })) }));
  for (const c of changes) {
    const b = services[c.service - 1]?.backends[c.backend - 1];
    if (!b) throw new MgmtError('badRequest', `no backend ${c.service}.${c.backend} in the running config`);
    b.weight = c.weight;
  }
  return { services };
}

/**
 * Commits the running config with `changes` applied, all or nothing. Resolves to null when the
 * weights already are those (nothing to commit, no history entry). Refuses (MgmtError
 * 'badRequest') while a commit awaits confirmation: a plain commit would confirm it as a side
 * effect. A candidate staged through another channel stays staged.
 */
export async function commitWeights(config: ConfigManager, changes: readonly WeightChange[]): Promise<ChangeResult | null> {
  // Build from the config that will really be replaced: wait for queued operations (a serial
  // commit in flight) to finish, then build and queue in one synchronous step.
  await config.whenIdle();
  if (config.pending) throw new MgmtError('badRequest', 'a commit awaits confirmation: confirm it or let it roll back before changing weights');
  const running = config.running;
  const next = withWeights(running.table, changes);
  const unchanged = changes.every((c) => running.table.services[c.service - 1]!.backends[c.backend - 1]!.weight === c.weight);
  if (unchanged) return null;
  const staged = config.candidate;
  config.setCandidate(encodeRules(next));
  // commit() takes the candidate now; putting the staged one back right after keeps it for its owner.
  const result = config.commit({ confirmTimeoutMs: 0 });
  if (staged) config.setCandidate(staged.encoding);
  return result;
}
