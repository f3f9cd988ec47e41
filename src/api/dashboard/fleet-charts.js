// Fleet-wide charts: new connections and traffic per second summed over every appliance, one
// point per poll cycle of the live stream (the cycle's `at`), for the last 15 minutes. An
// appliance without a rate in a cycle (its first poll, a gap) adds nothing to that point.
import { lineChart, PALETTE } from './charts.js';
import { bytes, perSecond } from './format.js';

const WINDOW_S = 15 * 60;

function sum(values) {
  const known = values.filter((v) => v !== null && v !== undefined);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

export class FleetCharts {
  constructor(root) {
    this.root = root;
    this.points = [];
    this.connections = lineChart(root.querySelector('#chart-fleet-connections .plot'), {
      series: [{ label: 'new connections/s', color: PALETTE[0] }],
      format: (v) => perSecond(v),
    });
    this.bytes = lineChart(root.querySelector('#chart-fleet-bytes .plot'), {
      series: [
        { label: 'in (from clients)', color: PALETTE[0] },
        { label: 'out (to clients)', color: PALETTE[1] },
      ],
      format: (v) => `${bytes(v)}/s`,
    });
    window.fulcrum.charts.fleetConnections = this.connections.chart;
    window.fulcrum.charts.fleetBytes = this.bytes.chart;
  }

  /** One poll cycle (SSE `counters`: {at, appliances}). */
  add(cycle) {
    const rates = cycle.appliances.map((a) => a.rates ?? {});
    const t = Math.floor(cycle.at / 1000);
    this.points.push({ t, conns: sum(rates.map((r) => r.conns)), bytesIn: sum(rates.map((r) => r.bytesIn)), bytesOut: sum(rates.map((r) => r.bytesOut)) });
    while (this.points.length > 0 && this.points[0].t < t - WINDOW_S) this.points.shift();
    const x = this.points.map((p) => p.t);
    this.connections.setData([x, this.points.map((p) => p.conns)]);
    this.bytes.setData([x, this.points.map((p) => p.bytesIn), this.points.map((p) => p.bytesOut)]);
    const figure = this.root.querySelector('#chart-fleet-connections');
    figure.dataset.points = String(x.length);
    figure.dataset.lastRate = String(this.points.at(-1).conns ?? '');
  }
}
