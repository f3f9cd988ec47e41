/** The fuzz run's summary table, plain text so it reads the same in a terminal and a CI log. */

import type { FuzzOutcome } from './progress.js';

export function formatTable(outcomes: readonly FuzzOutcome[], wallSeconds: number): string {
  const rows = outcomes.map((o) => [o.name, o.inputs.toLocaleString('en-US'), String(o.failed ? 1 : 0), o.seconds.toFixed(1)]);
  const inputs = outcomes.reduce((n, o) => n + o.inputs, 0);
  const failures = outcomes.filter((o) => o.failed).length;
  const cpu = outcomes.reduce((n, o) => n + o.seconds, 0);
  rows.push(['total', inputs.toLocaleString('en-US'), String(failures), `${cpu.toFixed(1)} (wall ${wallSeconds.toFixed(1)})`]);
  const header = ['target', 'inputs', 'failures', 'seconds'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(0, -1).map(line),
    widths.map((w) => '-'.repeat(w)).join('  '),
    line(rows.at(-1)!),
  ].join('\n');
}
