import { parseDuration } from '../../protocol/rules/index.js';
import { openStore } from '../../store/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

export interface ServeOptions {
  host: string;
  port: string;
  db?: string;
  pollInterval: string;
  poll: boolean;
  metricsPublic?: boolean;
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CliError(`--port: expected 0..65535 (0 picks a free port), got "${text}"`, EXIT.usage);
  return n;
}

/**
 * The HTTP API, /metrics and the dashboard, polling the inventory into the store meanwhile,
 * until SIGINT/SIGTERM. Prints one JSON line `{"url": …}` on stdout once listening.
 */
export async function serve(opts: ServeOptions): Promise<void> {
  const listenPort = port(opts.port);
  let intervalMs = 0;
  if (opts.poll) {
    try {
      intervalMs = parseDuration(opts.pollInterval);
    } catch (err) {
      throw new CliError(`--poll-interval: ${(err as Error).message}`, EXIT.usage);
    }
    // The store keeps one sample per appliance per second: faster polls would be dropped.
    if (intervalMs < 1_000) throw new CliError('--poll-interval: must be at least 1s', EXIT.usage);
  }
  const store = openStore(opts.db ? { file: opts.db } : {});
  const { buildServer } = await import('../../api/server.js');
  const app = await buildServer({ store, poll: opts.poll ? { intervalMs } : false, metricsPublic: opts.metricsPublic === true });
  try {
    await app.listen({ host: opts.host, port: listenPort });
  } catch (err) {
    await app.close();
    store.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new CliError(`--port: ${opts.host}:${listenPort} is already in use`, EXIT.failure);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`--host: cannot listen on ${opts.host} (${code})`, EXIT.usage);
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : listenPort;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  printJson({ url: `http://${host}:${bound}` });
  if (store.tokens.list().length === 0) app.log.warn('no API tokens yet: every API request will be refused until one is made with `fulcrum token create --role admin|read`');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping');
    try {
      await app.close();
    } finally {
      store.close();
    }
    process.exit(EXIT.ok);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
