/**
 * The Prometheus series a stored series becomes: its metric name and labels.
 *
 * Invariant: the labels identify what is measured — appliance, service, backend, interface —
 * and nothing about who polled it, so a series stays one series when another agent takes the
 * appliance over. They are sorted by name (Prometheus refuses them otherwise) and valid names.
 *
 * Names: `fulcrum_<scope>_<counter in snake case>`, `_total` appended for counters (the value
 * sent is cumulative, for rate()). The scope (service, backend, or none for appliance-wide
 * counters) is in the name so that a sum() over one metric never adds a service to its own
 * backends. An interface counter such as `ifInOctets.data0` becomes `fulcrum_if_in_octets_total`
 * with `interface="data0"`, one metric for every interface.
 */
import type { SeriesKey, SeriesKind } from '../../store/metric-store.js';
import type { Label } from './write-request.js';

/** `connsTotal` → `conns_total`, `ifHCInOctets` → `if_hc_in_octets`; anything outside [a-zA-Z0-9_] → `_`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}

export function metricName(key: SeriesKey, kind: SeriesKind): string {
  const dot = key.counter.indexOf('.');
  const base = snakeCase(dot === -1 ? key.counter : key.counter.slice(0, dot));
  const scope = key.backend !== undefined ? 'backend_' : key.service !== undefined ? 'service_' : '';
  const name = `fulcrum_${scope}${base}`;
  return kind === 'counter' && !name.endsWith('_total') ? `${name}_total` : name;
}

export function seriesLabels(key: SeriesKey, kind: SeriesKind): Label[] {
  const labels: Label[] = [
    { name: '__name__', value: metricName(key, kind) },
    { name: 'appliance', value: key.appliance },
  ];
  // An empty value is the same as no label to Prometheus: leave such a label out.
  if (key.service) labels.push({ name: 'service', value: key.service });
  if (key.backend) labels.push({ name: 'backend', value: key.backend });
  const dot = key.counter.indexOf('.');
  if (dot !== -1 && dot < key.counter.length - 1) labels.push({ name: 'interface', value: key.counter.slice(dot + 1) });
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
