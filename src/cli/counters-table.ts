import type { CountersSnapshot } from '../protocol/counters.js';
import { formatBytes, table } from './output.js';

/** Services and their backends as one table, service rows first. */
export function countersTable(c: CountersSnapshot): string {
  const rows: (string | number | bigint)[][] = [];
  for (const s of c.services) {
    rows.push([s.name, `${s.protocol} ${s.listen}`, '', s.connsTotal, s.connsActive, formatBytes(s.bytesIn), formatBytes(s.bytesOut), s.failures]);
    for (const b of s.backends)
      rows.push([
        `  ${b.address}`,
        `weight ${b.weight}${b.backup ? ' backup' : ''}`,
        b.state,
        b.connsTotal,
        b.connsActive,
        formatBytes(b.bytesIn),
        formatBytes(b.bytesOut),
        b.connectFailures,
      ]);
  }
  return table(['service / backend', 'detail', 'state', 'conns', 'active', 'bytes in', 'bytes out', 'failures'], rows, [3, 4, 5, 6, 7]);
}
