/**
 * Polling a simulated fleet over SNMP: how many varbinds a second the agent lands in SQLite,
 * beside Prometheus's snmp_exporter and Net-SNMP's snmpbulkwalk reading the same appliances in
 * the same run; then a 1,000-appliance fleet polled every 10 s by `fulcrum monitor`, with its RSS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { SnmpDriver } from '../drivers/snmp/snmp-driver.js';
import { Monitor } from '../src/poller/monitor.js';
import { FulcrumMib } from '../src/protocol/mib/index.js';
import { openStore } from '../src/store/index.js';
import { freePort } from '../sim/free-port.js';
import { median } from './lib/measure.js';
import { repoRoot, result, type Result } from './lib/report.js';
import { rssMb, startFleet, writeFleetRules } from './lib/sim-fleet.js';

const SERVICES = 3;
const BACKENDS = 8;
const THROUGHPUT_FLEET = 100;
const ROUNDS = 3;
const SCALE_FLEET = 1_000;
const SCALE_SECONDS = 60;
const CONCURRENCY = 64;

const columns = (c: object) => Object.keys(c).length - 1; // less the index column
/** Varbinds of one Fulcrum poll: sysUpTime + 5 IF-MIB columns of one interface + both tables. */
const VARBINDS_PER_POLL = 1 + 5 + SERVICES * columns(FulcrumMib.ServiceColumn) + SERVICES * BACKENDS * columns(FulcrumMib.BackendColumn);
const COUNTERS_PER_APPLIANCE = SERVICES * 6 + SERVICES * BACKENDS * 7 + 4;

export const title = 'Polling: varbinds/s landed vs snmp_exporter and snmpbulkwalk; 1,000 appliances every 10 s';

export const notes = [
  `Fleet: \`fulcrum sim fleet\` in its own process, each appliance ${SERVICES} services × ${BACKENDS} backends: ${VARBINDS_PER_POLL} varbinds and ${COUNTERS_PER_APPLIANCE} counters/gauges a poll. SNMPv2c on loopback; the fleet and the poller share the 2 cores.`,
  `Throughput: ${THROUGHPUT_FLEET} appliances polled ${CONCURRENCY} at a time, median of ${ROUNDS} rounds after a warm-up. Ours: the Monitor (GETBULK max-repetitions 50, rates computed, every sample landed in SQLite). ` +
    'snmp_exporter (Debian prometheus-snmp-exporter, generator config in bench/snmp-exporter/, max-repetitions 25 as its default) scraped over HTTP for the same appliances at the same concurrency, varbinds counted from its snmp_scrape_pdus_returned; it stores nothing (Prometheus would). ' +
    'snmpbulkwalk (-Cr25) of the two tables per appliance, 2 processes at a time, output discarded.',
  `Scale: ${SCALE_FLEET} appliances, \`fulcrum monitor --interval 10s\` for ${SCALE_SECONDS} s in its own process: the slowest cycle must end within the interval; RSS sampled every 0.5 s.`,
];

async function fulcrumThroughput(targets: string[], dir: string): Promise<{ vbPerSec: number; cpuPerRound: number }> {
  const store = await openStore({ file: path.join(dir, 'throughput.db') });
  try {
    for (const [i, t] of targets.entries()) await store.inventory.add({ name: `a${i}`, target: t, credentials: { community: 'public' } });
    const monitor = new Monitor(store.metrics, {
      intervalMs: 10_000,
      concurrency: CONCURRENCY,
      connect: async (r) => SnmpDriver.connect(r.target, { version: '2c', community: 'public' }),
    });
    const list = await store.inventory.list();
    await monitor.cycle(list);
    const rates: number[] = [];
    const cpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, 1_100)); // a fresh view on every appliance
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const summary = await monitor.cycle(list);
      const seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(c0);
      if (summary.failed > 0) throw new Error(`${summary.failed} polls failed`);
      rates.push((summary.polled * VARBINDS_PER_POLL) / seconds);
      cpu.push((used.user + used.system) / 1e6);
    }
    await monitor.close();
    return { vbPerSec: median(rates), cpuPerRound: median(cpu) };
  } finally {
    await store.close();
  }
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

async function exporterThroughput(targets: string[]): Promise<number | null> {
  if (!has('prometheus-snmp-exporter')) return null;
  const port = await freePort();
  const config = path.join(repoRoot(), 'bench/snmp-exporter/snmp.yml');
  const child: ChildProcess = spawn('prometheus-snmp-exporter', [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: 'ignore',
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/metrics`)).ok) break;
      } catch {
        if (i > 100) throw new Error('snmp_exporter did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const scrapeAll = async (): Promise<number> => {
      let varbinds = 0;
      let next = 0;
      const worker = async () => {
        while (next < targets.length) {
          const target = targets[next++]!.slice('snmp://'.length);
          const body = await (await fetch(`${base}/snmp?module=fulcrum&target=${encodeURIComponent(target)}`)).text();
          const pdus = /^snmp_scrape_pdus_returned (\d+)/m.exec(body);
          if (!pdus) throw new Error(`snmp_exporter failed on ${target}: ${body.slice(0, 200)}`);
          varbinds += Number(pdus[1]);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      return varbinds;
    };
    await scrapeAll();
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, 1_100));
      const t0 = performance.now();
      const varbinds = await scrapeAll();
      rates.push(varbinds / ((performance.now() - t0) / 1000));
    }
    return median(rates);
  } finally {
    child.kill('SIGTERM');
  }
}

async function bulkwalkThroughput(targets: string[]): Promise<number | null> {
  if (!has('snmpbulkwalk')) return null;
  const walk = (target: string, table: string) =>
    new Promise<number>((resolve, reject) => {
      // A persistent directory per run: parallel runs rewriting one snmpapp.conf corrupt it.
      const persistent = mkdtempSync(path.join(tmpdir(), 'fulcrum-netsnmp-'));
      const child = spawn('snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr25', '-OQn', target.slice('snmp://'.length), table], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, SNMP_PERSISTENT_DIR: persistent },
      });
      child.once('exit', () => rmSync(persistent, { recursive: true, force: true }));
      let lines = 0;
      child.stdout.on('data', (d: Buffer) => {
        for (const b of d) if (b === 10) lines++;
      });
      child.once('exit', (code) => (code === 0 ? resolve(lines) : reject(new Error(`snmpbulkwalk exited with ${code}`))));
    });
  const tables = [FulcrumMib.fulcrumServiceTable, FulcrumMib.fulcrumBackendTable].map((o) => o.join('.'));
  let varbinds = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      for (const table of tables) varbinds += await walk(target, table);
    }
  };
  await Promise.all(Array.from({ length: 2 }, worker));
  return varbinds / ((performance.now() - t0) / 1000);
}

async function scale(rulesFile: string, dir: string): Promise<{ slowestCycleMs: number; cycles: number; failed: number; peakRssMb: number }> {
  const fleet = await startFleet(SCALE_FLEET, rulesFile);
  try {
    const db = path.join(dir, 'scale.db');
    const store = await openStore({ file: db });
    for (const [i, t] of fleet.targets.entries()) await store.inventory.add({ name: `s${i}`, target: t, credentials: { community: 'public' } });
    await store.close();
    const child = spawn(
      process.execPath,
      [path.join(repoRoot(), 'bin/fulcrum.js'), 'monitor', '--interval', '10s', '--for', `${SCALE_SECONDS}s`, '--json', '--db', db],
      {
        env: { ...process.env, FULCRUM_LOG: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!) ?? 0)), 500);
    const cycles: Array<{ polled: number; failed: number; ms: number }> = [];
    createInterface({ input: child.stdout }).on('line', (line) => cycles.push(JSON.parse(line)));
    await new Promise((resolve) => child.once('exit', resolve));
    clearInterval(sampler);
    if (cycles.length === 0) throw new Error('fulcrum monitor reported no cycle');
    return { slowestCycleMs: Math.max(...cycles.map((c) => c.ms)), cycles: cycles.length, failed: cycles.reduce((n, c) => n + c.failed, 0), peakRssMb: peak };
  } finally {
    await fleet.stop();
  }
}

export async function run(): Promise<Result[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-bench-poll-'));
  const rulesFile = writeFleetRules(path.join(dir, 'rules.yaml'), SERVICES, BACKENDS);
  const out: Result[] = [];
  try {
    const fleet = await startFleet(THROUGHPUT_FLEET, rulesFile);
    let ours: { vbPerSec: number; cpuPerRound: number };
    let exporter: number | null;
    let bulkwalk: number | null;
    try {
      ours = await fulcrumThroughput(fleet.targets, dir);
      exporter = await exporterThroughput(fleet.targets);
      bulkwalk = await bulkwalkThroughput(fleet.targets);
    } finally {
      await fleet.stop();
    }
    const name = `polling ${THROUGHPUT_FLEET} appliances, landed in SQLite`;
    out.push(
      exporter === null
        ? { ...result({ name, value: ours.vbPerSec, unit: 'varbinds/s', better: 'higher' }), peer: 'snmp_exporter (skipped: not installed)' }
        : result({
            name,
            value: ours.vbPerSec,
            unit: 'varbinds/s',
            better: 'higher',
            peer: { name: 'snmp_exporter 0.21', value: exporter },
            goal: { ratio: 1.5 },
          }),
    );
    out.push(
      bulkwalk === null
        ? {
            ...result({ name: `${name}, vs snmpbulkwalk`, value: ours.vbPerSec, unit: 'varbinds/s', better: 'higher' }),
            peer: 'snmpbulkwalk (skipped: not installed)',
          }
        : result({
            name: `${name}, vs snmpbulkwalk`,
            value: ours.vbPerSec,
            unit: 'varbinds/s',
            better: 'higher',
            peer: { name: 'snmpbulkwalk -Cr25', value: bulkwalk },
          }),
    );
    const s = await scale(rulesFile, dir);
    if (s.failed > 0) console.log(`scale: ${s.failed} polls failed over ${s.cycles} cycles`);
    out.push(
      result({
        name: `${SCALE_FLEET} appliances × ${COUNTERS_PER_APPLIANCE} counters every 10 s: slowest of ${s.cycles} cycles`,
        value: s.slowestCycleMs / 1000,
        unit: 's',
        better: 'lower',
        goal: { value: 10 },
      }),
    );
    out.push(result({ name: `${SCALE_FLEET} appliances every 10 s: agent peak RSS`, value: s.peakRssMb, unit: 'MB', better: 'lower', goal: { value: 200 } }));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
