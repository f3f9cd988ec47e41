import { parseDuration } from '../../protocol/rules/index.js';
import { describeHolder, leaseMsFor, PollerLease } from '../../poller/lease.js';
import { openStore } from '../../store/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { serveTls } from '../serve-tls.js';
import { sharing, type SharingFlags } from '../sharing-flags.js';
import { hostname } from 'node:os';
import { exportingMetrics } from '../../poller/remote-write/index.js';
import { createLogger } from '../../log/logger.js';
import { remoteWriteFlag } from '../remote-write-flag.js';

export interface ServeOptions extends SharingFlags {
  host: string;
  port: string;
  db?: string;
  pollInterval: string;
  poll: boolean;
  /** Another poller holds the store: take over once it stops, instead of serving without polling. */
  standby?: boolean;
  metricsPublic?: boolean;
  /** The OpenAPI document and docs page without a token. */
  publicDocs?: boolean;
  /** Live streams served at once. */
  maxStreams?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: boolean;
  /** Plain HTTP on an address other machines can reach. */
  insecureHttp?: boolean;
  /** On a shared store: the URL the other agents reach this API at. */
  advertise?: string;
  /** A Prometheus remote-write endpoint the polled counters are also sent to. */
  remoteWrite?: string;
}

function maxStreams(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 10_000) throw new CliError(`--max-streams: expected 1..10000, got "${text}"`, EXIT.usage);
  return n;
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CliError(`--port: expected 0..65535 (0 picks a free port), got "${text}"`, EXIT.usage);
  return n;
}

/**
 * The HTTP API, /metrics and the dashboard, polling the inventory into the store meanwhile,
 * until SIGINT/SIGTERM. Prints one JSON line `{"url": …}` on stdout once listening (with
 * `tlsFingerprint` over HTTPS; see serve-tls.ts for when plain HTTP is refused). One poller
 * per store: next to a `fulcrum monitor` it serves without polling and says so, or with
 * --standby its poll loop waits for the lease (src/api/poll-loop.ts) and takes over.
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
  const streams = maxStreams(opts.maxStreams);
  const remoteUrl = remoteWriteFlag(opts.remoteWrite);
  const tls = await serveTls(opts);
  const store = await openStore(opts.db ? { file: opts.db } : {});
  // Fail now, not at the first poll, when the inventory's secrets cannot be opened (no key file).
  await store.inventory.list();
  // A shared store has no single poller: every polling serve takes its share of the fleet.
  const holder =
    opts.poll && !store.ownership ? await new PollerLease(store.pollerLease, { command: 'fulcrum serve', leaseMs: leaseMsFor(intervalMs) }).other() : null;
  let advertised: string | null = opts.advertise ?? null;
  const poll = opts.poll && (holder === null || opts.standby === true);
  // Only what this process polls is sent: a serve that does not poll has nothing to send.
  const remote = poll && remoteUrl !== null ? exportingMetrics(store.metrics, { url: remoteUrl, log: createLogger('remote-write') }) : null;
  const { buildServer } = await import('../../api/server.js');
  const app = await buildServer({
    store,
    poll: poll ? { intervalMs, ...(remote ? { metrics: remote.metrics, flush: () => remote.sender.stop() } : {}) } : false,
    metricsPublic: opts.metricsPublic === true,
    publicDocs: opts.publicDocs === true,
    // Only a polling agent holds the consoles; one that only serves leaves them to the poller.
    holdConsoles: poll,
    ...(store.ownership ? { sharing: { ...sharing(opts), apiUrl: () => advertised } } : {}),
    ...(streams !== undefined ? { maxStreams: streams } : {}),
    ...(tls ? { tls: tls.pair } : {}),
  });
  try {
    await app.listen({ host: opts.host, port: listenPort });
  } catch (err) {
    await app.close();
    await store.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new CliError(`--port: ${opts.host}:${listenPort} is already in use`, EXIT.failure);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`--host: cannot listen on ${opts.host} (${code})`, EXIT.usage);
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : listenPort;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${bound}`;
  // Where the other agents of a shared store hand this one its appliances' changes.
  advertised ??= ['0.0.0.0', '::'].includes(opts.host) ? `${tls ? 'https' : 'http'}://${hostname()}:${bound}` : url;
  printJson({ url, ...(tls ? { tlsFingerprint: tls.fingerprint } : {}) });
  if (tls?.selfSigned) {
    const { dir, created } = tls.selfSigned;
    app.log.warn(
      { fingerprint: tls.fingerprint, dir },
      `serving a self-signed certificate (${created ? 'made now' : 'made earlier'}, kept in ${dir}): clients should pin its SHA-256 fingerprint ${tls.fingerprint}`,
    );
  } else if (tls) app.log.info({ fingerprint: tls.fingerprint }, `serving HTTPS; certificate SHA-256 fingerprint ${tls.fingerprint}`);
  if (holder && !poll)
    app.log.warn({ holder }, `not polling: this store is polled by ${describeHolder(holder)}; serving only (--standby takes over polling once it stops)`);
  if ((await store.tokens.list()).length === 0)
    app.log.warn('no API tokens yet: every API request will be refused until one is made with `fulcrum token create --role admin|read`');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping');
    try {
      await app.close();
      // The poll loop sent what it queued as it stopped, before letting its appliances go; anything left goes now.
      await remote?.sender.stop();
    } finally {
      await store.close();
    }
    process.exit(EXIT.ok);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
