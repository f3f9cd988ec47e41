/**
 * `fulcrum counters NAME --since D` against a remote agent: its stored history through
 * GET /api/v1/appliances/NAME/counters/history (the same queries and limits as history.ts),
 * for history.ts to print. Invariant: the series are the agent's as it answered them, only
 * narrowed to --backend (which the route does not filter by); a failure has the local exit code.
 */
import type { History } from '../../store/history.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { RemoteApi } from '../remote-api.js';
import type { HistoryOptions, selection } from '../history-selection.js';

export async function remoteHistory(api: RemoteApi, name: string, opts: HistoryOptions, chosen: ReturnType<typeof selection>): Promise<History> {
  if (opts.step !== undefined)
    throw new CliError(
      `--step merges stored samples, and ${api.where} answers points: drop --step for the points, or run it on the agent (or with --direct on this machine's store)`,
      EXIT.usage,
    );
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
