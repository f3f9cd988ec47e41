/**
 * Whether the worker runs a rule table: read back from `show stat` after a reload or a live
 * change. Every TCP service must have its frontend, every backend a server with its address,
 * and every server the weight and state the file gives it. Also the servers the worker has, by
 * the rule table's spelling of their addresses, for live changes.
 */

import { canonicalEndpoint } from '../../src/protocol/rules/endpoint.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { operState } from './counters.js';
import { fileWeights, type RunningServer } from './live-changes.js';
import type { StatRow } from './show-stat.js';

export function runningServers(rows: readonly StatRow[]): RunningServer[] {
  return rows.filter((r) => r.type === 'server').map((r) => ({ proxy: r.proxy, name: r.name, address: canonicalOrSame(r.address) }));
}

/** null when the worker runs `table` as the driver renders it, else what differs (the first few). */
export function runningMismatch(table: RuleTable, rows: readonly StatRow[]): string | null {
  const problems: string[] = [];
  for (const s of table.services) {
    if (s.protocol !== 'tcp') continue;
    const own = rows.filter((r) => r.proxy === s.name);
    if (!own.some((r) => r.type === 'frontend')) {
      problems.push(`no proxy "${s.name}" runs`);
      continue;
    }
    const weights = fileWeights(s);
    s.backends.forEach((b, i) => {
      const row = own.find((r) => r.type === 'server' && canonicalOrSame(r.address) === b.address);
      if (row === undefined) return void problems.push(`${s.name} has no server ${b.address}`);
      const wanted = b.state === 'disabled' ? 'disabled' : b.state === 'drain' ? 'drain' : null;
      const state = operState(row.status);
      if (wanted !== null && state !== wanted) problems.push(`${s.name}/${row.name} is ${row.status}, not ${wanted}`);
      if (wanted === null && (state === 'disabled' || state === 'drain')) problems.push(`${s.name}/${row.name} is ${row.status}, not enabled`);
      if (b.state !== 'drain' && row.weight !== weights[i]) problems.push(`${s.name}/${row.name} has weight ${row.weight}, not ${weights[i]}`);
    });
  }
  return problems.length === 0 ? null : problems.slice(0, 5).join('; ');
}

function canonicalOrSame(address: string): string {
  try {
    return canonicalEndpoint(address);
  } catch {
    return address;
  }
}
