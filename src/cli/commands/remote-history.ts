/**
 * `fulcrum counters NAME --since D [--step S]` against a remote agent: its stored history through
 * GET /api/v1/appliances/NAME/counters/history (the same queries and limits as history.ts),
 * for history.ts to print. Invariant: the series are the agent's as it answered them, only
 * narrowed to --backend here without --step (an agent older than `backend=` would refuse it);
 * a failure has the local exit code.
 */
import type { History } from '../../store/history.js';
import type { SteppedHistory } from '../../store/history-steps.js';
import { durationFlag } from '../options.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { RemoteApi } from '../remote-api.js';
import type { HistoryOptions, selection } from '../history-selection.js';

export async function remoteHistory(api: RemoteApi, name: string, opts: HistoryOptions, chosen: ReturnType<typeof selection>): Promise<History> {
  const h = await api.get<History>(
    `/appliances/${encodeURIComponent(name)}/counters/history`,
    {
      since: opts.since,
      counter: chosen.counters?.join(','),
      service: chosen.service,
      ...(opts.rate ? { rate: 'true' } : {}),
    },
    // Too many points is the caller's range or filters, as locally (src/api/history-limits.ts).
    { tooManyPoints: EXIT.usage },
  );
  if (h.series.length === 0 && chosen.counters === undefined && chosen.service === undefined && chosen.backend === undefined)
    throw new CliError(`${name}: nothing stored for this appliance yet (is \`fulcrum monitor\` polling it?)`, EXIT.failure);
  return chosen.backend === undefined ? h : { ...h, series: h.series.filter((s) => s.backend === chosen.backend) };
}

/**
 * `--step S`: the agent merges the steps (`step=`, src/api/stepped-history.ts), the query and
 * limits of the local command. The step is read here first, so a malformed one is refused in
 * the local words before anything is asked.
 */
export async function remoteSteps(api: RemoteApi, name: string, opts: HistoryOptions, chosen: ReturnType<typeof selection>): Promise<SteppedHistory> {
  durationFlag('--step', opts.step!);
  return api.get<SteppedHistory>(
    `/appliances/${encodeURIComponent(name)}/counters/history`,
    {
      since: opts.since,
      step: opts.step,
      counter: chosen.counters?.join(','),
      service: chosen.service,
      backend: chosen.backend,
    },
    { tooManyPoints: EXIT.usage },
  );
}
