/**
 * The simulator's TCP data plane against HAProxy: the same three backends behind one
 * round-robin virtual service, each proxy in its own process on the same CPU core, loaded by
 * wrk from the other core. New connections/s, keep-alive requests/s and bulk MB/s, with the
 * CPU time each proxy spent per unit of work.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../sim/free-port.js';
import { median } from './lib/measure.js';
import { canPin, cpuSeconds, has, pinned, spawnUntilLine, stop, waitForPort } from './lib/processes.js';
import { repoRoot, result, type Result } from './lib/report.js';
import { wrk, type WrkRun } from './lib/wrk.js';

const BACKENDS = 3;
const LARGE_BODY_BYTES = 64 * 1024;
const CONNECTIONS = 32;
const SECONDS = 10;
const WARMUP_SECONDS = 3;
const ROUNDS = 3;
/** The proxies share this core; wrk and the backends run on the other. */
const PROXY_CPU = 1;
const LOAD_CPU = 0;

export const title = 'Data plane: the simulator vs HAProxy, one core each, one virtual service over three backends';

export const notes = [
  `Backends: ${BACKENDS} minimal HTTP/1.1 servers (bench/lib/fast-backends.ts, raw sockets, prebuilt answers: a few bytes, or ${LARGE_BODY_BYTES / 1024} KiB at /large) in one Node process of their own. The "backends alone" row is wrk straight to one of them: the ceiling the proxies are measured under.`,
  'Simulator: `fulcrum sim start --rules FILE --json` as its own process (FULCRUM_LOG=warn), one TCP service, round-robin, no health check. ' +
    'HAProxy (Debian package): `haproxy -db -f FILE` with `global nbthread 1, maxconn 8000`; `defaults mode tcp, timeout connect 5s, timeout client 30s, timeout server 30s`; ' +
    'one frontend bound to 127.0.0.1, `balance roundrobin`, the same three servers without `check`; no logging.',
  `Pinning: both proxies on CPU ${PROXY_CPU} (\`taskset -c ${PROXY_CPU}\`), loaded one at a time; wrk and the backends on CPU ${LOAD_CPU}.`,
  `Load: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s. New connections/s: \`-H 'Connection: close'\` (the backend closes after each answer, so each request is a new client connection and a new backend connection). ` +
    `Requests/s: keep-alive, small answers. MB/s: keep-alive, ${LARGE_BODY_BYTES / 1024} KiB answers, bytes wrk read (headers included) per second.`,
  `Each figure is the median of ${ROUNDS} rounds; in each round the two proxies run back to back, in alternating order, after a ${WARMUP_SECONDS} s warm-up of each at the start.`,
  'CPU per unit: user + system CPU time of the proxy process (from /proc) during the run, divided by the requests or megabytes served; it depends less on what else the machine is doing than the rates.',
];

type Mode = 'close' | 'keepalive' | 'large';
const MODES: Mode[] = ['close', 'keepalive', 'large'];

interface Proxy {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
}

interface Sample {
  run: WrkRun;
  /** CPU seconds the proxy used during the run, or null without /proc. */
  cpu: number | null;
}

function scriptPath(relative: string): string {
  // Run from dist/ (node) or from the sources (tsx): the sibling file has the same extension.
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `${relative}${path.extname(here)}`);
}

async function startBackends(): Promise<{ child: ChildProcess; ports: number[] }> {
  const cmd = pinned(LOAD_CPU, process.execPath, [...process.execArgv, scriptPath('lib/fast-backends'), String(BACKENDS), String(LARGE_BODY_BYTES)]);
  const { child, line } = await spawnUntilLine(cmd.command, cmd.args);
  return { child, ports: (JSON.parse(line) as { ports: number[] }).ports };
}

async function startSimulator(dir: string, backendPorts: number[]): Promise<Proxy> {
  const port = await freePort();
  const rules = path.join(dir, 'dataplane.yaml');
  const lines = [
    'services:',
    '  - name: web',
    `    listen: 127.0.0.1:${port}`,
    '    algorithm: round-robin',
    '    backends:',
    ...backendPorts.map((p) => `      - { address: 127.0.0.1:${p} }`),
  ];
  writeFileSync(rules, `${lines.join('\n')}\n`);
  const cmd = pinned(PROXY_CPU, process.execPath, [path.join(repoRoot(), 'bin/fulcrum.js'), 'sim', 'start', '--name', 'bench-dp', '--rules', rules, '--json']);
  const { child } = await spawnUntilLine(cmd.command, cmd.args, { env: { ...process.env, FULCRUM_LOG: 'warn' } });
  await waitForPort(port);
  return { name: 'simulator', port, pid: child.pid!, child };
}

async function startHaproxy(dir: string, backendPorts: number[]): Promise<Proxy> {
  const port = await freePort();
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  nbthread 1',
      '  maxconn 8000',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend vip',
      `  bind 127.0.0.1:${port}`,
      '  default_backend pool',
      'backend pool',
      '  balance roundrobin',
      ...backendPorts.map((p, i) => `  server b${i + 1} 127.0.0.1:${p}`),
      '',
    ].join('\n'),
  );
  const cmd = pinned(PROXY_CPU, 'haproxy', ['-db', '-q', '-f', config]);
  const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return { name: 'HAProxy', port, pid: child.pid!, child };
}

/** "HAProxy 2.6.12", from `haproxy -v`. */
function haproxyName(): string {
  const version = /version (\d+\.\d+\.\d+)/.exec(spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout);
  return version ? `HAProxy ${version[1]}` : 'HAProxy';
}

async function load(proxy: Proxy, mode: Mode, dir: string, seconds = SECONDS): Promise<Sample> {
  const before = cpuSeconds(proxy.pid);
  const run = await wrk({
    url: `http://127.0.0.1:${proxy.port}/${mode === 'large' ? 'large' : ''}`,
    connections: CONNECTIONS,
    seconds,
    close: mode === 'close',
    cpu: LOAD_CPU,
    dir,
  });
  const after = cpuSeconds(proxy.pid);
  if (run.errors > 0) console.log(`  ${proxy.name} ${mode}: ${run.errors} errors in ${run.requests} requests`);
  return { run, cpu: before === null || after === null ? null : after - before };
}

/** The figure of one mode: connections or requests per second, or MB per second. */
function rate(mode: Mode, s: Sample): number {
  return mode === 'large' ? s.run.bytesPerSec / 1e6 : s.run.requestsPerSec;
}

/** Microseconds of proxy CPU per connection or request, or per MB; null without /proc. */
function cpuCost(mode: Mode, s: Sample): number | null {
  if (s.cpu === null) return null;
  return mode === 'large' ? (s.cpu * 1e6) / (s.run.bytes / 1e6) : (s.cpu * 1e6) / s.run.requests;
}

const LABEL: Record<Mode, { rate: string; unit: string; cost: string; costUnit: string }> = {
  close: { rate: 'new connections/s (Connection: close)', unit: 'connections/s', cost: 'proxy CPU per new connection', costUnit: 'µs' },
  keepalive: { rate: 'requests/s, keep-alive', unit: 'requests/s', cost: 'proxy CPU per keep-alive request', costUnit: 'µs' },
  large: {
    rate: `throughput, keep-alive, ${LARGE_BODY_BYTES / 1024} KiB answers`,
    unit: 'MB/s',
    cost: `proxy CPU per MB (${LARGE_BODY_BYTES / 1024} KiB answers)`,
    costUnit: 'µs',
  },
};

function medianOf(samples: Sample[], f: (s: Sample) => number | null): number | null {
  const values = samples.map(f);
  return values.every((v): v is number => v !== null) ? median(values) : null;
}

export async function run(): Promise<Result[]> {
  // What this run could not do goes into the notes, which the report prints with the figures.
  if (!has('wrk')) {
    notes.push('Skipped: wrk is not installed (Debian: apt-get install wrk), so nothing was measured.');
    return [];
  }
  const withHaproxy = has('haproxy');
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-bench-dp-'));
  const children: ChildProcess[] = [];
  try {
    const backends = await startBackends();
    children.push(backends.child);
    const proxies: Proxy[] = [await startSimulator(dir, backends.ports)];
    children.push(proxies[0]!.child);
    if (withHaproxy) {
      proxies.push(await startHaproxy(dir, backends.ports));
      children.push(proxies[1]!.child);
    }
    if (!canPin(PROXY_CPU)) notes.push('This run was not pinned (no taskset or fewer than 2 CPUs): everything shared every core.');

    const ceiling = await wrk({ url: `http://127.0.0.1:${backends.ports[0]}/`, connections: CONNECTIONS, seconds: SECONDS, close: true, cpu: LOAD_CPU, dir });
    for (const proxy of proxies) for (const mode of MODES) await load(proxy, mode, dir, WARMUP_SECONDS);

    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? proxies : [...proxies].reverse();
      for (const mode of MODES) {
        for (const proxy of order) {
          const key = `${proxy.name} ${mode}`;
          samples.set(key, [...(samples.get(key) ?? []), await load(proxy, mode, dir)]);
        }
      }
    }

    const out: Result[] = [
      result({ name: 'backends alone (wrk → one backend), new connections/s', value: ceiling.requestsPerSec, unit: 'connections/s', better: 'higher' }),
    ];
    const peerName = withHaproxy ? haproxyName() : 'HAProxy (skipped: not installed)';
    for (const mode of MODES) {
      const ours = samples.get(`simulator ${mode}`)!;
      const theirs = samples.get(`HAProxy ${mode}`);
      const label = LABEL[mode];
      const value = medianOf(ours, (s) => rate(mode, s))!;
      const goal = mode === 'close' ? { ratio: 0.7 } : undefined;
      out.push(
        theirs
          ? result({
              name: label.rate,
              value,
              unit: label.unit,
              better: 'higher',
              peer: { name: peerName, value: medianOf(theirs, (s) => rate(mode, s))! },
              ...(goal ? { goal } : {}),
            })
          : { ...result({ name: label.rate, value, unit: label.unit, better: 'higher' }), peer: peerName },
      );
    }
    for (const mode of MODES) {
      const ours = medianOf(samples.get(`simulator ${mode}`)!, (s) => cpuCost(mode, s));
      const theirs = samples.get(`HAProxy ${mode}`);
      const peerCost = theirs ? medianOf(theirs, (s) => cpuCost(mode, s)) : null;
      if (ours === null) continue;
      const label = LABEL[mode];
      out.push(
        peerCost !== null
          ? result({ name: label.cost, value: ours, unit: label.costUnit, better: 'lower', peer: { name: peerName, value: peerCost } })
          : { ...result({ name: label.cost, value: ours, unit: label.costUnit, better: 'lower' }), peer: peerName },
      );
    }
    return out;
  } finally {
    for (const child of children.reverse()) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
