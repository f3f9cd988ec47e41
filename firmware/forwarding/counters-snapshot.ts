import type { Protocol } from '../../src/protocol/rules/model.js';
import type { ForwardingCore } from './forwarding-core.js';
import type { BackendOperState } from './service-runtime.js';

export interface BackendCounters {
  address: string;
  state: BackendOperState;
  weight: number;
  backup: boolean;
  connsTotal: bigint;
  connsActive: number;
  bytesIn: bigint;
  bytesOut: bigint;
  connectFailures: bigint;
  /** Wall-clock ms of the last operational state change. */
  lastChange: number;
}

export interface ServiceCounters {
  name: string;
  listen: string;
  protocol: Protocol;
  connsTotal: bigint;
  connsActive: number;
  bytesIn: bigint;
  bytesOut: bigint;
  /** Flows refused: no backend and no fallback, or every try failed. */
  failures: bigint;
  fallbackConns: bigint;
  backends: BackendCounters[];
}

export interface CountersSnapshot {
  services: ServiceCounters[];
}

/** A consistent copy of every counter, in rule-table order (services by name, backends by address). */
export function snapshotCounters(core: ForwardingCore): CountersSnapshot {
  return {
    services: core.services.map((s) => ({
      name: s.config.name,
      listen: s.config.listen,
      protocol: s.config.protocol,
      connsTotal: s.service.connsTotal.get(0),
      connsActive: s.service.connsActive,
      bytesIn: s.service.bytesIn.get(0),
      bytesOut: s.service.bytesOut.get(0),
      failures: s.service.failures.get(0),
      fallbackConns: s.service.fallbackConns.get(0),
      backends: s.config.backends.map((b, i) => ({
        address: b.address,
        state: s.operState(i),
        weight: s.weights[i]!,
        backup: b.backup,
        connsTotal: s.connsTotal.get(i),
        connsActive: s.active[i]!,
        bytesIn: s.bytesIn.get(i),
        bytesOut: s.bytesOut.get(i),
        connectFailures: s.connectFailures.get(i),
        lastChange: s.lastChange[i]!,
      })),
    })),
  };
}
