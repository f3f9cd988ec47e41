/**
 * One history query in fixed steps (`fulcrum counters NAME --since D --step S`, or the API's
 * history route with `step=`), checked and answered one way for both: the step is whole seconds,
 * tiles a stored resolution kept over the whole span and is no longer than the span; the grid
 * and the answer stay within the history limits (history-limits.ts); and a selection that
 * matches no stored series is refused, not answered empty. Without a backend, the series are
 * the appliance- and service-wide ones unless the asker chose a level.
 */
import type { MetricStore } from '../store/metric-store.js';
import { chosenSeries, type HistoryQuery } from '../store/history.js';
import { resolutionForStep, steppedHistory, type SteppedHistory } from '../store/history-steps.js';
import { checkAnswer, checkGrid, type HistoryWords } from './history-limits.js';

/** A step that cannot be served (`step`), or a selection of nothing (`noSeries`); the message names the asker's parameter. */
export class StepQueryError extends Error {
  override readonly name = 'StepQueryError';

  constructor(
    message: string,
    readonly kind: 'step' | 'noSeries',
  ) {
    super(message);
  }
}

export interface StepQuery extends Pick<HistoryQuery, 'counters' | 'service' | 'backend' | 'serviceLevel'> {
  from: number;
  to: number;
  spanMs: number;
  stepMs: number;
}

/** How the asker names the step and the span in its own words: "--step 7s", "querystring.step". */
export interface StepWords extends HistoryWords {
  step: string;
  span: string;
  filters: string;
}

/** Throws StepQueryError, or HistoryLimitError for a grid or an answer over the limits. */
export async function steppedQuery(metrics: MetricStore, appliance: string, q: StepQuery, words: StepWords): Promise<SteppedHistory> {
  const fit = resolutionForStep(q.spanMs, q.stepMs);
  if ('problem' in fit) throw new StepQueryError(`${words.step}: ${fit.problem}`, 'step');
  const { resolution } = fit;
  if (q.stepMs > q.spanMs) throw new StepQueryError(`${words.step}: longer than ${words.span}`, 'step');
  const { spanMs: _span, ...range } = q;
  const query = { ...range, resolution, ...(q.backend === undefined && q.serviceLevel === undefined ? { serviceLevel: true } : {}) };
  checkGrid((await chosenSeries(metrics, appliance, query)).length, q.spanMs, resolution, words);
  const h = await steppedHistory(metrics, appliance, query);
  checkAnswer(
    h.series.map((s) => ({ points: s.rows })),
    resolution,
    words,
  );
  if (h.series.length === 0) throw new StepQueryError(`${appliance}: no stored series matches the ${words.filters} given`, 'noSeries');
  return h;
}
