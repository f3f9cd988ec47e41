import { parseDuration } from '../../protocol/rules/index.js';
import { openStore } from '../../store/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';

/**
 * Counters of one appliance from the store, over the last `since`: per series, the increase in
 * each step (or with --rate the rate per second), gaps as null. The resolution follows the span:
 * raw samples up to 2 hours, 1-minute rollups up to 2 days, 1-hour rollups beyond.
 */
export async function history(name: string, opts: { since: string; rate?: boolean; json?: boolean; db?: string }): Promise<void> {
  let spanMs: number;
  try {
    spanMs = parseDuration(opts.since);
  } catch (err) {
    throw new CliError(`--since: ${(err as Error).message}`, EXIT.usage);
  }
  const to = Date.now();
  const from = to - spanMs;
  const resolution = spanMs <= 2 * 3_600_000 ? 'raw' : spanMs <= 2 * 86_400_000 ? '1m' : '1h';
  const store = openStore(opts.db ? { file: opts.db } : {});
  try {
    const series = store.metrics.listSeries(name);
    if (series.length === 0) throw new CliError(`${name}: nothing stored for this appliance (is \`fulcrum monitor\` polling it?)`, EXIT.usage);
    const out = series.map((s) => {
      const r = store.metrics.query({ appliance: name, ...(s.service ? { service: s.service } : {}), ...(s.backend ? { backend: s.backend } : {}), counter: s.counter, from, to, resolution });
      const points = (r?.points ?? []).map((p) => [p.ts, s.kind === 'counter' && !opts.rate ? (p.sum ?? null) : p.value] as const);
      return { service: s.service ?? null, backend: s.backend ?? null, counter: s.counter, kind: s.kind, points };
    });
    if (opts.json) return printJson({ appliance: name, from, to, resolution, unit: opts.rate ? 'per second' : 'increase per step', series: out });
    const rows = out.map((s) => {
      const values = s.points.map(([, v]) => v).filter((v): v is number => typeof v === 'number');
      const total = s.kind === 'counter' && !opts.rate ? values.reduce((a, b) => a + b, 0) : (values.at(-1) ?? null);
      const gaps = s.points.filter(([, v]) => v === null).length;
      return [s.service ?? '', s.backend ?? '', s.counter, s.kind, total === null ? '-' : Number(total.toFixed(3)), s.points.length, gaps];
    });
    process.stdout.write(`${name}: last ${opts.since} at ${resolution} resolution (${opts.rate ? 'latest rate per second' : 'increase over the window'}; gauges: latest)\n`);
    process.stdout.write(`${table(['service', 'backend', 'counter', 'kind', opts.rate ? 'rate/s' : 'value', 'points', 'gaps'], rows, [4, 5, 6])}\n`);
  } finally {
    store.close();
  }
}
