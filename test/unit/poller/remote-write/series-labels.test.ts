/** Metric names and labels: valid Prometheus names, sorted labels, scope in the name, no agent label. */
import { describe, expect, it } from 'vitest';
import { metricName, seriesLabels, snakeCase } from '../../../../src/poller/remote-write/series-labels.js';

describe('series labels', () => {
  it('names counters with _total once, gauges without, the scope in the name', () => {
    expect(metricName({ appliance: 'a', service: 'web', counter: 'connsTotal' }, 'counter')).toBe('fulcrum_service_conns_total');
    expect(metricName({ appliance: 'a', service: 'web', counter: 'bytesIn' }, 'counter')).toBe('fulcrum_service_bytes_in_total');
    expect(metricName({ appliance: 'a', service: 'web', backend: '10.0.0.2:80', counter: 'connectFailures' }, 'counter')).toBe(
      'fulcrum_backend_connect_failures_total',
    );
    expect(metricName({ appliance: 'a', service: 'web', backend: '10.0.0.2:80', counter: 'up' }, 'gauge')).toBe('fulcrum_backend_up');
    expect(metricName({ appliance: 'a', counter: 'ifHCInOctets.data0' }, 'counter')).toBe('fulcrum_if_hc_in_octets_total');
    expect(snakeCase('fallbackConns')).toBe('fallback_conns');
    expect(snakeCase('odd-name.x')).toBe('odd_name_x');
  });

  it('labels by what is measured, sorted by name, without empty values', () => {
    expect(seriesLabels({ appliance: 'edge-1', service: 'web', backend: '10.0.0.2:80', counter: 'bytesOut' }, 'counter')).toEqual([
      { name: '__name__', value: 'fulcrum_backend_bytes_out_total' },
      { name: 'appliance', value: 'edge-1' },
      { name: 'backend', value: '10.0.0.2:80' },
      { name: 'service', value: 'web' },
    ]);
    expect(seriesLabels({ appliance: 'edge-1', counter: 'ifOutOctets.uplink0' }, 'counter')).toEqual([
      { name: '__name__', value: 'fulcrum_if_out_octets_total' },
      { name: 'appliance', value: 'edge-1' },
      { name: 'interface', value: 'uplink0' },
    ]);
    expect(seriesLabels({ appliance: 'edge-1', service: '', counter: 'up' }, 'gauge').map((l) => l.name)).toEqual(['__name__', 'appliance']);
  });

  it('every name is a valid Prometheus metric name', () => {
    for (const counter of ['connsTotal', 'ifHCInOctets.data0', 'weird name!', '9lives'])
      expect(metricName({ appliance: 'a', counter }, 'counter')).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });
});
