/**
 * `counters NAME --since D --step S` for a person: per series a heading naming it and its unit,
 * then one row per step (time on a 24-hour clock, total, average, min and max). Byte counters
 * read in KiB/s and the like, connections in conn/s; a gap is a row of "-".
 */
import type { SteppedHistory, SteppedSeries, StepRow } from '../store/history-steps.js';
import { formatBytes, table } from './output.js';

/** The unit a series' figures are in: bytes, connections or plain events, per second for counters. */
export function unitOf(s: Pick<SteppedSeries, 'counter' | 'kind'>): { unit: string; bytes: boolean } {
  const bytes = /bytes|octets/i.test(s.counter);
  if (bytes) return { unit: s.kind === 'counter' ? 'B/s' : 'B', bytes };
  const what = /^conns/.test(s.counter) ? 'conn' : /failures/i.test(s.counter) ? 'fail' : '';
  if (s.kind === 'gauge') return { unit: what, bytes };
  return { unit: what ? `${what}/s` : '/s', bytes };
}

/** A figure in its unit: bytes scaled (KiB, MiB…), others with up to two decimals. */
function figure(v: number | null, bytes: boolean, perSecond: boolean): string {
  if (v === null) return '-';
  if (bytes) return `${formatBytes(Math.round(v))}${perSecond ? '/s' : ''}`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Local time of a step: HH:MM, with the date once the range crosses days. */
function clock(ts: number, withDate: boolean): string {
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

function seriesName(s: SteppedSeries): string {
  return [s.service ?? '(appliance)', s.backend, s.counter].filter((p) => p).join(' ');
}

function rowsOf(s: SteppedSeries, withDate: boolean): string[][] {
  const { bytes } = unitOf(s);
  const counter = s.kind === 'counter';
  return s.rows.map((r: StepRow) => [
    clock(r.ts, withDate),
    ...(counter ? [bytes ? figure(r.total, true, false) : figure(r.total, false, false)] : []),
    figure(r.avg, bytes, counter),
    figure(r.min, bytes, counter),
    figure(r.max, bytes, counter),
  ]);
}

export function renderSteps(h: SteppedHistory, since: string, step: string): string {
  const withDate = new Date(h.from).toDateString() !== new Date(h.to).toDateString();
  const blocks = [`${h.appliance}: last ${since} in steps of ${step} (from ${h.resolution === 'raw' ? 'raw samples' : `${h.resolution} rollups`})`];
  for (const s of h.series) {
    const { unit } = unitOf(s);
    const head = `${seriesName(s)}${unit ? ` (${unit})` : ''}`;
    if (s.first === null) {
      blocks.push(`${head}: nothing stored in this range`);
      continue;
    }
    const columns = s.kind === 'counter' ? ['time', 'total', 'avg', 'min', 'max'] : ['time', 'avg', 'min', 'max'];
    const gaps = s.gaps === 0 ? '' : `, ${s.gaps} step${s.gaps === 1 ? '' : 's'} without data`;
    blocks.push(`${head}: from ${clock(s.first, withDate)}${gaps}\n${table(columns, rowsOf(s, withDate), columns.map((_, i) => i).slice(1))}`);
  }
  return `${blocks.join('\n\n')}\n`;
}
