/**
 * When a push changes only weights and states (enabled / drain / disabled) of servers that run
 * already, it needs no reload: `set server PROXY/SERVER weight N` and `state ready|drain|maint`
 * apply it to the running worker, which keeps its connections and counters. Anything else —
 * a service, an address, a check, a limit — goes through a full push and a reload.
 *
 * Pure: the old and new tables and the running servers in, the commands (and the commands that
 * undo them, in reverse order) out, or null when the change is not one the runtime API can make.
 */

import type { Backend, RuleTable, Service } from '../../src/protocol/rules/model.js';
import { exportWeights } from '../../src/interop/weights.js';
import { ExportReport } from '../../src/interop/report.js';
import { HAPROXY_MAX_WEIGHT } from '../../src/interop/haproxy/render.js';

/** A server the running worker has: its proxy, its name, and its address as the rule table spells it. */
export interface RunningServer {
  proxy: string;
  name: string;
  address: string;
}

export interface LiveChange {
  /** Commands for the worker, in order (without the `@1` the master CLI needs). */
  apply: string[];
  /** What puts the worker back as it was, to run (in this order) if one of `apply` fails. */
  undo: string[];
}

const STATE_WORD: Record<Backend['state'], string> = { enabled: 'ready', drain: 'drain', disabled: 'maint' };

/** The weight each backend has in the file (src/interop export): weights as exported, drain as 0. */
export function fileWeights(service: Service): number[] {
  const weights = exportWeights(service, HAPROXY_MAX_WEIGHT, new ExportReport());
  return service.backends.map((b, i) => (b.state === 'drain' ? 0 : weights[i]!));
}

export function liveChange(before: RuleTable, after: RuleTable, servers: readonly RunningServer[]): LiveChange | null {
  if (before.services.length !== after.services.length) return null;
  const apply: string[] = [];
  const undo: string[] = [];
  for (let i = 0; i < after.services.length; i++) {
    const old = before.services[i]!;
    const next = after.services[i]!;
    if (!sameButWeightsAndStates(old, next)) return null;
    const oldWeights = fileWeights(old);
    const newWeights = fileWeights(next);
    for (let j = 0; j < next.backends.length; j++) {
      const was = old.backends[j]!;
      const now = next.backends[j]!;
      if (oldWeights[j] === newWeights[j] && was.state === now.state) continue;
      const server = servers.find((s) => s.proxy === next.name && s.address === now.address);
      if (server === undefined) return null;
      const id = `${server.proxy}/${server.name}`;
      if (oldWeights[j] !== newWeights[j]) {
        apply.push(`set server ${id} weight ${newWeights[j]}`);
        undo.unshift(`set server ${id} weight ${oldWeights[j]}`);
      }
      if (was.state !== now.state) {
        apply.push(`set server ${id} state ${STATE_WORD[now.state]}`);
        undo.unshift(`set server ${id} state ${STATE_WORD[was.state]}`);
      }
    }
  }
  return { apply, undo };
}

/** The commands that put every drained server of `table` in drain: after a reload (the file says weight 0, the worker starts them ready). */
export function drainCommands(table: RuleTable, servers: readonly RunningServer[]): string[] {
  return table.services.flatMap((s) =>
    s.backends
      .filter((b) => b.state === 'drain')
      .flatMap((b) => {
        const server = servers.find((x) => x.proxy === s.name && x.address === b.address);
        return server === undefined ? [] : [`set server ${server.proxy}/${server.name} state drain`];
      }),
  );
}

function sameButWeightsAndStates(a: Service, b: Service): boolean {
  const strip = (s: Service) => ({ ...s, backends: s.backends.map((x) => ({ ...x, weight: 0, state: 'enabled' })) });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
