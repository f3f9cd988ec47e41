import { parseDuration } from '../../protocol/rules/index.js';
import { counterHistory, hasHistory, resolutionFor } from '../../store/history.js';
import { openStore } from '../../store/index.js';
import { checkAnswer, checkGrid, checkSpan, HistoryLimitError } from '../../api/history-limits.js';
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
  const words = { since: '--since' };
  limited(() => checkSpan(spanMs, words));
  const to = Date.now();
  const from = to - spanMs;
  const resolution = resolutionFor(spanMs);
  const store = openStore(opts.db ? { file: opts.db } : {});
  try {
    if (!hasHistory(store.metrics, name)) throw new CliError(`${name}: nothing stored for this appliance (is \`fulcrum monitor\` polling it?)`, EXIT.usage);
    limited(() => checkGrid(store.metrics.listSeries(name).length, spanMs, resolution, words));
    const h = counterHistory(store.metrics, name, { from, to, resolution, rate: opts.rate === true });
    limited(() => checkAnswer(h.series, resolution, words));
    const out = h.series;
    if (opts.json) return printJson(h);
    const rows = out.map((s) => {
      const values = s.points.map(([, v]) => v).filter((v): v is number => typeof v === 'number');
      const total = s.kind === 'counter' && !opts.rate ? values.reduce((a, b) => a + b, 0) : (values.at(-1) ?? null);
      const gaps = s.points.filter(([, v]) => v === null).length;
      return [s.service ?? '', s.backend ?? '', s.counter, s.kind, total === null ? '-' : Number(total.toFixed(3)), s.points.length, gaps];
    });
    process.stdout.write(
      `${name}: last ${opts.since} at ${resolution} resolution (${opts.rate ? 'latest rate per second' : 'increase over the window'}; gauges: latest)\n`,
    );
    process.stdout.write(`${table(['service', 'backend', 'counter', 'kind', opts.rate ? 'rate/s' : 'value', 'points', 'gaps'], rows, [4, 5, 6])}\n`);
  } finally {
    store.close();
  }
}

/** The history limits (src/api/history-limits.ts) as usage errors. */
function limited(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof HistoryLimitError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}
