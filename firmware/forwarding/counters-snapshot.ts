import type { CountersSnapshot } from '../../src/protocol/counters.js';
import type { ForwardingCore } from './forwarding-core.js';

export type { BackendCounters, CountersSnapshot, ServiceCounters } from '../../src/protocol/counters.js';

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
