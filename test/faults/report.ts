/** The campaign's outcome table, plain text for terminals and CI logs alike. */

import type { Notes } from './campaign.js';

export interface KindResult {
  kind: string;
  trials: number;
  ok: number;
  failed: number;
  seconds: number;
  notes: Notes;
  /** Why the kind stopped early, if it did. */
  abandoned: string | null;
}

export function addNotes(into: Notes, more: Notes): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
}

function formatNotes(r: KindResult): string {
  const parts = Object.entries(r.notes).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`);
  if (r.abandoned) parts.push(`ABANDONED: ${r.abandoned}`);
  return parts.join(', ');
}

export function formatTable(results: readonly KindResult[], wallSeconds: number): string {
  const header = ['fault kind', 'trials', 'ok', 'failed', 'seconds', 'notes'];
  const rows = results.map((r) => [r.kind, String(r.trials), String(r.ok), String(r.failed), r.seconds.toFixed(1), formatNotes(r)]);
  const sum = (f: (r: KindResult) => number) => results.reduce((n, r) => n + f(r), 0);
  rows.push(['total', String(sum((r) => r.trials)), String(sum((r) => r.ok)), String(sum((r) => r.failed)), wallSeconds.toFixed(1), '']);
  const widths = header.map((h, i) => (i === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : i === cells.length - 1 ? c : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule =
    widths
      .slice(0, -1)
      .map((w) => '-'.repeat(w))
      .join('  ') + '  -----';
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows.at(-1)!)].join('\n');
}
