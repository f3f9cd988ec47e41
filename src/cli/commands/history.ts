/**
 * `fulcrum counters NAME --since D [--step S] [--counter …] [--service …] [--backend …]`: an
 * appliance's counters from the store, as `fulcrum monitor` (or a polling `serve`) recorded
 * them, through the same queries and limits as the API's history route. Without --step, per
 * series the increase over the window (or with --rate the latest rate); with --step, one row per
 * step (src/store/history-steps.ts, through src/api/stepped-history.ts as the API's `step=`).
 * --json prints the same figures. The first poll of a series is its baseline, not a gap. With a
 * context, the remote agent's history route answers (remote-history.ts), printed the same way.
 */
import { chosenSeries, countGaps, counterHistory, hasHistory, resolutionFor, type History } from '../../store/history.js';
import type { SteppedHistory } from '../../store/history-steps.js';
import { openStore } from '../../store/index.js';
import { checkAnswer, checkGrid, checkSpan, HistoryLimitError, type HistoryWords } from '../../api/history-limits.js';
import { StepQueryError, steppedQuery } from '../../api/stepped-history.js';
import { CliError, EXIT } from '../exit-codes.js';
import { durationFlag } from '../options.js';
import { printJson, table } from '../output.js';
import { renderSteps } from '../history-steps-table.js';
import { remoteApi, type ReachFlags } from '../remote-api.js';
import { selection, type HistoryOptions } from '../history-selection.js';

const WORDS: HistoryWords = { since: '--since', filters: '--counter, --service or --backend' };

export async function history(name: string, opts: HistoryOptions & ReachFlags): Promise<void> {
  const spanMs = durationFlag('--since', opts.since);
  limited(() => checkSpan(spanMs, WORDS));
  if (opts.step !== undefined && opts.rate) throw new CliError('--rate goes without --step: every step row has its rate already', EXIT.usage);
  const api = await remoteApi(opts);
  if (api) {
    const remote = await import('./remote-history.js');
    if (opts.step !== undefined) return printSteps(await remote.remoteSteps(api, name, opts, selection(opts)), opts);
    return printHistory(name, await remote.remoteHistory(api, name, opts, selection(opts)), opts);
  }
  const to = Date.now();
  const from = to - spanMs;
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    if (!(await hasHistory(store.metrics, name))) {
      if (!(await store.inventory.get(name))) throw new CliError(`${name}: no such appliance in the inventory (fulcrum appliance list)`, EXIT.invalidInput);
      throw new CliError(`${name}: nothing stored for this appliance yet (is \`fulcrum monitor\` polling it?)`, EXIT.failure);
    }
    const chosen = selection(opts);
    if (opts.step !== undefined) return printSteps(await stepped(store, name, opts, { from, to, spanMs, chosen }), opts);
    const resolution = resolutionFor(spanMs);
    const series = await chosenSeries(store.metrics, name, chosen);
    limited(() => checkGrid(series.length, spanMs, resolution, WORDS));
    const h = await counterHistory(store.metrics, name, { from, to, resolution, rate: opts.rate === true, ...chosen });
    limited(() => checkAnswer(h.series, resolution, WORDS));
    printHistory(name, h, opts);
  } finally {
    await store.close();
  }
}

/** Per series the increase over the window (or the latest rate), as JSON or a table; the same for this machine's store and a remote agent's. */
function printHistory(name: string, h: History, opts: HistoryOptions): void {
  if (opts.json) return printJson(h);
  const rows = h.series.map((s) => {
    const values = s.points.map(([, v]) => v);
    const known = values.filter((v): v is number => typeof v === 'number');
    const total = s.kind === 'counter' && !opts.rate ? known.reduce((a, b) => a + b, 0) : (known.at(-1) ?? null);
    return [s.service ?? '', s.backend ?? '', s.counter, s.kind, total === null ? '-' : Number(total.toFixed(3)), s.points.length, countGaps(values)];
  });
  process.stdout.write(
    `${name}: last ${opts.since} at ${h.resolution} resolution (${opts.rate ? 'latest rate per second' : 'increase over the window'}; gauges: latest)\n`,
  );
  process.stdout.write(`${table(['service', 'backend', 'counter', 'kind', opts.rate ? 'rate/s' : 'value', 'points', 'gaps'], rows, [4, 5, 6])}\n`);
}

/** --step: one row per step (src/api/stepped-history.ts, the query the API's `step=` makes too). */
async function stepped(
  store: import('../../store/index.js').AgentStore,
  name: string,
  opts: HistoryOptions,
  range: { from: number; to: number; spanMs: number; chosen: ReturnType<typeof selection> },
): Promise<SteppedHistory> {
  const stepMs = durationFlag('--step', opts.step!);
  const words = { ...WORDS, step: `--step ${opts.step}`, span: `--since ${opts.since}`, filters: WORDS.filters! };
  try {
    return await steppedQuery(store.metrics, name, { from: range.from, to: range.to, spanMs: range.spanMs, stepMs, ...range.chosen }, words);
  } catch (err) {
    if (err instanceof StepQueryError) throw new CliError(err.message, err.kind === 'noSeries' ? EXIT.invalidInput : EXIT.usage);
    throw asUsage(err);
  }
}

/** The rows per step, as JSON or a table per series; the same for this machine's store and a remote agent's. */
function printSteps(h: SteppedHistory, opts: HistoryOptions): void {
  if (opts.json) return printJson(h);
  process.stdout.write(renderSteps(h, opts.since, opts.step!));
}

/** The history limits (src/api/history-limits.ts) as usage errors. */
function limited(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw asUsage(err);
  }
}

function asUsage(err: unknown): unknown {
  return err instanceof HistoryLimitError ? new CliError(err.message, EXIT.usage) : err;
}
