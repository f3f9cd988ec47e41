/**
 * A counters snapshot (src/protocol/counters.ts) flattened into named readings: the cumulative
 * counters that become deltas and rates, and the gauges stored as read. The service and backend
 * counters are 64-bit (they travel as v64/Counter64) and cannot wrap in practice; an interface's
 * IF-MIB ifInOctets/ifOutOctets are Counter32 and do, so both they and their ifHC twins are kept,
 * as appliance-wide counters named after the MIB object and the interface: "ifInOctets.data0".
 */
import type { CountersSnapshot } from '../protocol/counters.js';
import type { SeriesKey } from '../store/metric-store.js';
import type { CounterReading } from './rates.js';

export interface SnapshotReadings {
  /** Cumulative counters by name (the name is unique within the appliance). */
  counters: Map<string, CounterReading>;
  gauges: Map<string, number>;
  /** The series key of every name in `counters` and `gauges`. */
  keys: Map<string, SeriesKey>;
}

export function readingName(key: SeriesKey): string {
  return `${key.service ?? ''}/${key.backend ?? ''}/${key.counter}`;
}

export function snapshotReadings(appliance: string, snapshot: CountersSnapshot): SnapshotReadings {
  const out: SnapshotReadings = { counters: new Map(), gauges: new Map(), keys: new Map() };
  const counter = (key: SeriesKey, value: bigint, width: 32 | 64 = 64) => {
    const name = readingName(key);
    out.counters.set(name, { value, width });
    out.keys.set(name, key);
  };
  const gauge = (key: SeriesKey, value: number) => {
    const name = readingName(key);
    out.gauges.set(name, value);
    out.keys.set(name, key);
  };
  for (const s of snapshot.services) {
    const at = (c: string): SeriesKey => ({ appliance, service: s.name, counter: c });
    counter(at('connsTotal'), s.connsTotal);
    counter(at('bytesIn'), s.bytesIn);
    counter(at('bytesOut'), s.bytesOut);
    counter(at('failures'), s.failures);
    counter(at('fallbackConns'), s.fallbackConns);
    gauge(at('connsActive'), s.connsActive);
    for (const b of s.backends) {
      const bat = (c: string): SeriesKey => ({ appliance, service: s.name, backend: b.address, counter: c });
      counter(bat('connsTotal'), b.connsTotal);
      counter(bat('bytesIn'), b.bytesIn);
      counter(bat('bytesOut'), b.bytesOut);
      counter(bat('connectFailures'), b.connectFailures);
      gauge(bat('connsActive'), b.connsActive);
      gauge(bat('weight'), b.weight);
      gauge(bat('up'), b.state === 'up' ? 1 : 0);
    }
  }
  for (const i of snapshot.interfaces ?? []) {
    counter({ appliance, counter: `ifInOctets.${i.name}` }, BigInt(i.inOctets32), 32);
    counter({ appliance, counter: `ifOutOctets.${i.name}` }, BigInt(i.outOctets32), 32);
    if (i.hcInOctets !== null) counter({ appliance, counter: `ifHCInOctets.${i.name}` }, i.hcInOctets);
    if (i.hcOutOctets !== null) counter({ appliance, counter: `ifHCOutOctets.${i.name}` }, i.hcOutOctets);
  }
  return out;
}
