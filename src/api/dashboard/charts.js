// Time-series charts on uPlot, served by the agent from node_modules (no CDN).
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { clock } from './format.js';

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#db2777', '#65a30d'];
const HEIGHT = 220;

/**
 * A line chart in `container` with one line per entry of `series` ({label, color}); values are
 * shown by `format`. Fills the container's width and follows it when it resizes.
 */
export function lineChart(container, { series, format }) {
  const opts = {
    width: Math.max(container.clientWidth, 300),
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max * 1.1, 1)] } },
    series: [
      // uPlot's own time labels are 12-hour (1:05pm): every time on the page is on one 24-hour clock.
      { value: (_u, v) => (v === null || v === undefined ? '–' : clock(v * 1000)) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? PALETTE[i % PALETTE.length],
        width: 2,
        points: { show: false },
        value: (_u, v) => (v === null || v === undefined ? '–' : format(v)),
      })),
    ],
    axes: [
      { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' }, values: (_u, splits) => splits.map((v) => clock(v * 1000)) },
      { stroke: '#64748b', size: 70, grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' }, values: (_u, splits) => splits.map((v) => format(v)) },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const empty = [[], ...series.map(() => [])];
  const chart = new uPlot(opts, empty, container);
  const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(container.clientWidth, 300), height: HEIGHT }));
  resize.observe(container);
  return {
    chart,
    setData(data) {
      chart.setData(data);
    },
    destroy() {
      resize.disconnect();
      chart.destroy();
    },
  };
}
