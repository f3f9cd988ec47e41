/**
 * `show stat` (CSV, one row per frontend, backend and server; the header line names the columns)
 * → typed rows of the columns the driver reads. Columns are found by name, not position, so the
 * columns later HAProxy versions add do not shift anything; a column the driver needs that is
 * missing, or a number that is not one, is an error naming the row and column.
 */

import type { RuntimeApi } from './runtime.js';

export type StatType = 'frontend' | 'backend' | 'server' | 'listener';

export interface StatRow {
  proxy: string;
  /** FRONTEND, BACKEND, or the server's name. */
  name: string;
  type: StatType;
  /** UP, DOWN, DRAIN, MAINT, NOLB, "no check", "UP 1/3", "MAINT (via b/s)", OPEN… */
  status: string;
  weight: number;
  backup: boolean;
  current: number;
  total: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
  connectErrors: bigint;
  /** Seconds since the last UP/DOWN change; null where HAProxy leaves it empty. */
  lastChangeSeconds: number | null;
  /** The server's address as HAProxy resolved it (`addr`), '' for frontends and backends. */
  address: string;
}

export class ShowStatError extends Error {
  override readonly name = 'ShowStatError';
}

const TYPES: Record<string, StatType> = { '0': 'frontend', '1': 'backend', '2': 'server', '3': 'listener' };
const NEEDED = ['pxname', 'svname', 'type', 'status', 'weight', 'bck', 'scur', 'stot', 'bin', 'bout', 'econ', 'lastchg', 'addr'] as const;

export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined || !header.startsWith('# ')) throw new ShowStatError('"show stat" did not start with its "# pxname,svname,…" header');
  const names = splitCsv(header.slice(2));
  const at = new Map(names.map((n, i) => [n, i]));
  for (const column of NEEDED) if (!at.has(column)) throw new ShowStatError(`"show stat" has no "${column}" column`);
  return lines.slice(1).map((line, index) => {
    const cells = splitCsv(line);
    const row = index + 2;
    const cell = (column: (typeof NEEDED)[number]) => cells[at.get(column)!] ?? '';
    const where = () => `"show stat" line ${row} (${cell('pxname')}/${cell('svname')})`;
    const whole = (column: (typeof NEEDED)[number], empty: bigint | null): bigint | null => {
      const value = cell(column);
      if (value === '') return empty;
      if (!/^[0-9]+$/.test(value)) throw new ShowStatError(`${where()}: ${column} is "${value}", not a whole number`);
      return BigInt(value);
    };
    const type = TYPES[cell('type')];
    if (type === undefined) throw new ShowStatError(`${where()}: unknown type "${cell('type')}"`);
    const lastChange = whole('lastchg', null);
    return {
      proxy: cell('pxname'),
      name: cell('svname'),
      type,
      status: cell('status'),
      weight: Number(whole('weight', 0n)),
      backup: cell('bck') === '1',
      current: Number(whole('scur', 0n)),
      total: whole('stot', 0n)!,
      bytesIn: whole('bin', 0n)!,
      bytesOut: whole('bout', 0n)!,
      connectErrors: whole('econ', 0n)!,
      lastChangeSeconds: lastChange === null ? null : Number(lastChange),
      address: cell('addr'),
    };
  });
}

/** One CSV line: HAProxy quotes a field with double quotes when it holds a comma or a quote. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** The current worker's `show stat`, parsed. */
export async function readStat(api: RuntimeApi): Promise<StatRow[]> {
  return parseShowStat(await api.worker('show stat'));
}
