/**
 * The options of `fulcrum counters NAME --since …` and the series they select, shared by the
 * local command (commands/history.ts) and the remote one (commands/remote-history.ts), in a
 * module of its own so that neither imports the other.
 */
import { CliError, EXIT } from './exit-codes.js';

export interface HistoryOptions {
  since: string;
  step?: string;
  counter?: string;
  service?: string;
  backend?: string;
  rate?: boolean;
  json?: boolean;
  db?: string;
}

/** The series filters, as the store's history query takes them. */
export function selection(opts: HistoryOptions) {
  const counters = opts.counter
    ?.split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (opts.counter !== undefined && counters!.length === 0) throw new CliError('--counter: name at least one counter (e.g. connsTotal,bytesIn)', EXIT.usage);
  return {
    ...(counters ? { counters } : {}),
    ...(opts.service !== undefined ? { service: opts.service } : {}),
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
  };
}
