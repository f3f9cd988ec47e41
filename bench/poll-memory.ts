/**
 * The scale part of the polling bench alone, for memory work: one simulated fleet (1,000
 * appliances × 3 services × 8 backends, `fulcrum sim fleet` in its own process), polled every
 * 10 s for 60 s by `fulcrum monitor` of each build given, one build after the other against the
 * same fleet, so that a change and the build before it are measured side by side in one run.
 *
 *   npm run build && node dist/bench/poll-memory.js [--agent DIR]… [--seconds N] [--fleet N]
 *
 * DIR is a built checkout (its bin/fulcrum.js runs its dist/cli, its dist/src/store makes the
 * inventory file); the default is this one.
 * Each monitor runs under `node --expose-gc --import dist/bench/lib/memory-probe.js`: RSS is
 * sampled from /proc every 0.5 s as bench/polling.ts does, the heap from inside (the probe's
 * header says how), and one full collection is forced 5 s before the end to read the live heap.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { openStore as OpenStore } from '../src/store/index.js';
import { repoRoot } from './lib/report.js';
import { rssMb, startFleet, writeFleetRules } from './lib/sim-fleet.js';

interface Probe {
  peakRssMb: number;
  peakHeapUsedMb: number;
  peakExternalMb: number;
  peakHeapTotalMb: number;
  maxLiveAfterMajorGcMb: number;
  majorGcs: number;
  forcedGc: { heapUsedMb: number; heapTotalMb?: number; rssMb: number; rssAnonMb?: number; rssFileMb?: number; peakRssBeforeMb: number } | null;
  rssAtExitMb: number;
  cpuSeconds: number;
}

interface Run {
  agent: string;
  cycles: Array<{ polled: number; failed: number; ms: number; points: number }>;
  peakRssMb: number;
  probe: Probe;
}

const { values } = parseArgs({
  options: {
    agent: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '60' },
    fleet: { type: 'string', default: '1000' },
  },
});
const agents = values.agent?.length ? values.agent.map((a) => path.resolve(a)) : [repoRoot()];
const seconds = Number(values.seconds);
const fleetSize = Number(values.fleet);

async function monitorRun(agent: string, targets: readonly string[], dir: string, n: number): Promise<Run> {
  const db = path.join(dir, `scale-${n}.db`);
  // The build's own store makes its file: builds of different schema versions are compared.
  const { openStore } = (await import(pathToFileURL(path.join(agent, 'dist/src/store/index.js')).href)) as { openStore: typeof OpenStore };
  const store = await openStore({ file: db });
  for (const [i, t] of targets.entries()) await store.inventory.add({ name: `s${i}`, target: t, credentials: { community: 'public' } });
  await store.close();
  const probeOut = path.join(dir, `probe-${n}.json`);
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      path.join(repoRoot(), 'dist/bench/lib/memory-probe.js'),
      path.join(agent, 'bin/fulcrum.js'),
      'monitor',
      '--interval',
      '10s',
      '--for',
      `${seconds}s`,
      '--json',
      '--db',
      db,
    ],
    {
      env: { ...process.env, FULCRUM_LOG: 'error', FULCRUM_MEMORY_PROBE: probeOut, FULCRUM_MEMORY_PROBE_GC_AT: String((seconds - 5) * 1000) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!) ?? 0)), 500);
  const cycles: Run['cycles'] = [];
  createInterface({ input: child.stdout }).on('line', (line) => cycles.push(JSON.parse(line)));
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  if (cycles.length === 0) throw new Error(`${agent}: fulcrum monitor reported no cycle`);
  return { agent, cycles, peakRssMb: Math.round(peak * 10) / 10, probe: JSON.parse(readFileSync(probeOut, 'utf8')) as Probe };
}

function report(runs: readonly Run[]): void {
  const rows: Array<[string, (r: Run) => string]> = [
    ['cycles (polled / failed)', (r) => `${r.cycles.length} (${r.cycles.reduce((n, c) => n + c.polled, 0)} / ${r.cycles.reduce((n, c) => n + c.failed, 0)})`],
    ['slowest cycle, ms', (r) => String(Math.max(...r.cycles.map((c) => c.ms)))],
    ['median cycle, ms', (r) => String([...r.cycles.map((c) => c.ms)].sort((a, b) => a - b)[r.cycles.length >> 1])],
    ['peak RSS (/proc), MB', (r) => String(r.peakRssMb)],
    ['peak RSS before the forced GC, MB', (r) => String(r.probe.forcedGc?.peakRssBeforeMb ?? '—')],
    ['peak heap used, MB', (r) => String(r.probe.peakHeapUsedMb)],
    ['peak heap committed (heapTotal), MB', (r) => String(r.probe.peakHeapTotalMb)],
    ['live heap after V8’s own full GCs (max), MB', (r) => `${r.probe.maxLiveAfterMajorGcMb} (${r.probe.majorGcs} GCs)`],
    ['heap used after a forced GC, MB', (r) => String(r.probe.forcedGc?.heapUsedMb ?? '—')],
    ['RSS right after the forced GC, MB', (r) => String(r.probe.forcedGc?.rssMb ?? '—')],
    ['  of it anonymous / file-backed, MB', (r) => `${r.probe.forcedGc?.rssAnonMb ?? '—'} / ${r.probe.forcedGc?.rssFileMb ?? '—'}`],
    ['heap committed after the forced GC, MB', (r) => String(r.probe.forcedGc?.heapTotalMb ?? '—')],
    ['peak external (Buffers, outside the heap), MB', (r) => String(r.probe.peakExternalMb)],
    ['CPU of the monitor, s', (r) => String(r.probe.cpuSeconds)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`${''.padEnd(width)}  ${runs.map((r) => path.basename(r.agent).padStart(20)).join('  ')}`);
  for (const [name, cell] of rows) console.log(`${name.padEnd(width)}  ${runs.map((r) => cell(r).padStart(20)).join('  ')}`);
}

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-poll-memory-'));
try {
  const fleet = await startFleet(fleetSize, writeFleetRules(path.join(dir, 'rules.yaml'), 3, 8));
  const runs: Run[] = [];
  try {
    for (const [n, agent] of agents.entries()) {
      runs.push(await monitorRun(agent, fleet.targets, dir, n));
      console.error(`${agent}: done`);
    }
  } finally {
    await fleet.stop();
  }
  report(runs);
  console.log(JSON.stringify(runs.map((r) => ({ agent: r.agent, peakRssMb: r.peakRssMb, cycleMs: r.cycles.map((c) => c.ms), probe: r.probe }))));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
