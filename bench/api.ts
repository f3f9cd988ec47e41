/**
 * The HTTP API under load while it polls: `fulcrum serve` in its own process, polling 100
 * simulated appliances every 10 s, answering 1,000 requests/s of inventory, counter-history
 * and event reads (autocannon, fixed rate). Latency percentiles of the mix and of each route,
 * and failed requests. FULCRUM_BENCH_API_FLEET=1000 runs the same load against a larger fleet.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { openStore } from '../src/store/index.js';
import { LatencyHistogram } from './lib/latency-histogram.js';
import { cpuSeconds, spawnUntilLine, stop } from './lib/processes.js';
import { repoRoot, result, type Result } from './lib/report.js';
import { startFleet, writeFleetRules, type RunningFleet } from './lib/sim-fleet.js';

const FLEET = fleetSize(process.env.FULCRUM_BENCH_API_FLEET);
const SERVICES = 3;
const BACKENDS = 8;
const RATE = 1_000;
const SECONDS = 20;
const WARMUP_SECONDS = 3;
const CONNECTIONS = 32;
const POLL_INTERVAL = '10s';

/** The routes of the mix, in the order each connection cycles through them. */
const ROUTES = ['GET /api/v1/appliances', 'GET /api/v1/appliances/NAME/counters/history?since=5m', 'GET /api/v1/events'] as const;

function fleetSize(text: string | undefined): number {
  if (text === undefined || text === '') return 100;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`FULCRUM_BENCH_API_FLEET must be a positive whole number, got ${text}`);
  return n;
}

export const title = `API: latency at 1,000 requests/s while polling ${FLEET.toLocaleString('en-US')} appliances`;

export const notes = [
  `Agent: \`fulcrum serve --port 0 --db FILE --poll-interval ${POLL_INTERVAL}\` in its own process (FULCRUM_LOG=warn), its inventory ${FLEET} appliances of \`fulcrum sim fleet\` ` +
    `(another process; ${SERVICES} services × ${BACKENDS} backends each, SNMPv2c on loopback), polled every ${POLL_INTERVAL} throughout, so the run spans two polling cycles.`,
  `Load: autocannon (in the bench's process) at a fixed ${RATE} requests/s over ${CONNECTIONS} keep-alive connections for ${SECONDS} s, after a ${WARMUP_SECONDS} s warm-up, ` +
    'with a read token (Authorization: Bearer), cycling through GET /api/v1/appliances, GET /api/v1/appliances/NAME/counters/history?since=5m (NAME going round the fleet) and GET /api/v1/events.',
  "Latencies are autocannon's, corrected for coordinated omission (a request delayed by a slow one counts from when it should have been sent). " +
    'Per route: the same 2xx answers with the same correction, split by the route asked (p99.9 of a route rests on a few dozen answers). ' +
    'Agent CPU: user + system seconds of the serve process over the measured load (from /proc) over the 2xx answers; it depends less on what else runs on the machine than latency does. ' +
    'Failed = connection errors, timeouts and non-2xx answers.',
  'No peer: no other fleet manager offers this API over the same store; the goals are absolute.',
];

async function startServe(db: string): Promise<{ child: ChildProcess; url: string }> {
  const { child, line } = await spawnUntilLine(
    process.execPath,
    [path.join(repoRoot(), 'bin/fulcrum.js'), 'serve', '--port', '0', '--db', db, '--poll-interval', POLL_INTERVAL],
    {
      env: { ...process.env, FULCRUM_LOG: 'warn' },
    },
  );
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

function createToken(db: string): string {
  const out = spawnSync(
    process.execPath,
    [path.join(repoRoot(), 'bin/fulcrum.js'), 'token', 'create', '--role', 'read', '--name', 'bench', '--db', db, '--json'],
    { encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(`fulcrum token create failed: ${out.stderr}`);
  return (JSON.parse(out.stdout) as { token: string }).token;
}

/** Resolves once every appliance has been polled successfully, so history and state are there to read. */
async function firstCycle(url: string, headers: Record<string, string>): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const body = (await (await fetch(`${url}/api/v1/appliances`, { headers })).json()) as { appliances: Array<{ reachable: boolean | null }> };
    if (body.appliances.length === FLEET && body.appliances.every((a) => a.reachable === true)) return;
    if (performance.now() > deadline) throw new Error('the agent did not poll every appliance within 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Load {
  result: autocannon.Result;
  /** One histogram per entry of ROUTES, of 2xx answers (as autocannon's own latency figure). */
  routes: LatencyHistogram[];
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<Load> {
  let next = 0;
  const routes = ROUTES.map(() => new LatencyHistogram());
  // Without a callback autocannon returns its instance made thenable; the types say only Promise.
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    overallRate: RATE,
    duration: seconds,
    headers,
    requests: [
      { method: 'GET', path: '/api/v1/appliances' },
      { method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/v1/appliances/a${next++ % FLEET}/counters/history?since=5m` }) },
      { method: 'GET', path: '/api/v1/events' },
    ],
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  // With one request in flight per connection, the client's request iterator still points at the
  // request just answered when 'response' fires (autocannon moves it on afterwards).
  instance.on('response', (client, status, _bytes, ms) => {
    if (status < 200 || status > 299) return;
    const c = client as unknown as { requestIterator: { currentRequestIndex: number }; rate?: number };
    routes[c.requestIterator.currentRequestIndex]?.record(ms, c.rate ? Math.ceil(1 / c.rate) : 0);
  });
  return { result: await instance, routes };
}

export async function run(): Promise<Result[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-bench-api-'));
  let fleet: RunningFleet | null = null;
  let serve: ChildProcess | null = null;
  try {
    fleet = await startFleet(FLEET, writeFleetRules(path.join(dir, 'rules.yaml'), SERVICES, BACKENDS));
    const db = path.join(dir, 'agent.db');
    const store = await openStore({ file: db });
    for (const [i, t] of fleet.targets.entries()) await store.inventory.add({ name: `a${i}`, target: t, credentials: { community: 'public' } });
    await store.close();
    const headers = { authorization: `Bearer ${createToken(db)}` };
    const started = await startServe(db);
    serve = started.child;
    await firstCycle(started.url, headers);
    await load(started.url, headers, WARMUP_SECONDS);
    const cpuBefore = cpuSeconds(serve.pid!);
    const { result: r, routes } = await load(started.url, headers, SECONDS);
    const cpuAfter = cpuSeconds(serve.pid!);
    const failed = r.errors + r.timeouts + r.non2xx;
    const at = `at ${RATE.toLocaleString('en-US')} requests/s, polling ${FLEET.toLocaleString('en-US')} appliances`;
    return [
      result({ name: `API latency p50 ${at}`, value: r.latency.p50, unit: 'ms', better: 'lower' }),
      result({ name: `API latency p99 ${at}`, value: r.latency.p99, unit: 'ms', better: 'lower', goal: { value: 50 } }),
      ...ROUTES.flatMap((route, i) =>
        (
          [
            ['p50', 50],
            ['p99', 99],
            ['p99.9', 99.9],
          ] as const
        ).map(([label, p]) => result({ name: `${route}: ${label}`, value: routes[i]!.percentile(p), unit: 'ms', better: 'lower' })),
      ),
      result({
        name: `requests answered per second (asked: ${RATE.toLocaleString('en-US')})`,
        value: r['2xx'] / r.duration,
        unit: 'requests/s',
        better: 'higher',
      }),
      ...(cpuBefore !== null && cpuAfter !== null && r['2xx'] > 0
        ? [
            result({
              name: 'agent CPU per answered request (its polling included)',
              value: ((cpuAfter - cpuBefore) * 1000) / r['2xx'],
              unit: 'ms',
              better: 'lower',
            }),
          ]
        : []),
      result({
        name: `failed requests of ${r.requests.sent.toLocaleString('en-US')} (errors, timeouts, non-2xx)`,
        value: failed,
        unit: 'requests',
        better: 'lower',
        goal: { value: 0 },
      }),
    ];
  } finally {
    if (serve) await stop(serve);
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
