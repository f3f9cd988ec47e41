/**
 * A private Prometheus for the tests, from Debian's package (2.42): a temporary data directory,
 * a config with no scrape jobs, listening on 127.0.0.1 on a free port, with the remote-write
 * receiver on (POST /api/v1/write). `hasPrometheus()` prints why the tests that need it are
 * skipped when the program does not run here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../sim/free-port.js';

export const PROMETHEUS = process.env.FULCRUM_PROMETHEUS ?? '/usr/bin/prometheus';

let known: boolean | undefined;

export function hasPrometheus(): boolean {
  if (known === undefined) {
    known = spawnSync(PROMETHEUS, ['--version'], { stdio: 'ignore' }).status === 0;
    if (!known) console.warn(`skipping the tests that need Prometheus: "${PROMETHEUS} --version" does not run (Debian: apt-get install prometheus)`);
  }
  return known;
}

export class PrometheusStartError extends Error {
  override readonly name = 'PrometheusStartError';
}

/** One element of an instant query's vector result. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One element of a range-vector (matrix) result: every raw sample in the range. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface PrometheusServer {
  readonly url: string;
  /** Where remote write goes. */
  readonly writeUrl: string;
  /** An instant query at `timeMs` (default now); the result as Prometheus gives it. */
  query<T = VectorSample>(promql: string, timeMs?: number): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(): Promise<PrometheusServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  // No scrape jobs: everything in this server came by remote write.
  writeFileSync(config, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) {
      await stop();
      throw new PrometheusStartError(`prometheus exited before it was ready: ${stderr}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new PrometheusStartError(`prometheus not ready within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    writeUrl: `${url}/api/v1/write`,
    async query<T>(promql: string, timeMs?: number): Promise<T[]> {
      const params = new URLSearchParams({ query: promql, ...(timeMs !== undefined ? { time: String(timeMs / 1000) } : {}) });
      const res = await fetch(`${url}/api/v1/query?${params}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: T[] } };
      if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error ?? res.status}`);
      return body.data!.result;
    },
    stop,
  };
}
