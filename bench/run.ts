/**
 * Runs the benchmark suites, prints their results and writes bench/results.json and
 * docs/PERFORMANCE.md. `npx tsx bench/run.ts [suite…]` runs the named suites only; the
 * report keeps the others' last results.
 */
import '../src/protocol/host/install-node-crypto.js';
import { performance } from 'node:perf_hooks';
import * as forwarding from './forwarding.js';
import * as serial from './serial.js';
import { checksum } from './lib/measure.js';
import { formatTable, machine, writeReport, type Result, type SuiteRun } from './lib/report.js';

/** A suite module exports `title`, `notes` and `run`. */
interface Suite {
  name: string;
  title: string;
  notes: string[];
  run(): Promise<Result[]>;
}

const SUITES: Suite[] = [
  { name: 'forwarding', ...forwarding },
  { name: 'serial', ...serial },
  { name: 'store', ...(await import('./store.js')) },
  { name: 'polling', ...(await import('./polling.js')) },
  { name: 'firmware', ...(await import('./firmware-upload.js')) },
  { name: 'console-server', ...(await import('./console-server.js')) },
  { name: 'dataplane', ...(await import('./dataplane.js')) },
  { name: 'cli', ...(await import('./cli-start.js')) },
  { name: 'api', ...(await import('./api.js')) },
  { name: 'failover', ...(await import('./failover.js')) },
  { name: 'haproxy', ...(await import('./haproxy.js')) },
  { name: 'agents', ...(await import('./agents.js')) },
];

async function main(args: string[]): Promise<number> {
  // `report`: rewrite docs/PERFORMANCE.md from bench/results.json without measuring anything.
  if (args.length === 1 && args[0] === 'report') {
    const written = writeReport([]);
    console.log(`wrote ${written.markdown}`);
    return 0;
  }
  const unknown = args.filter((a) => !SUITES.some((s) => s.name === a));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const selected = args.length > 0 ? SUITES.filter((s) => args.includes(s.name)) : SUITES;
  const runs: SuiteRun[] = [];
  const failed: string[] = [];
  for (const suite of selected) {
    console.log(`\n${suite.title}`);
    const start = performance.now();
    let results: Result[];
    try {
      results = await suite.run();
    } catch (err) {
      // One suite's failure (a tool that would not start) must not lose the others' figures:
      // its last results stay in the report, and the run exits non-zero.
      console.error(`suite ${suite.name} failed: ${(err as Error).stack ?? String(err)}`);
      failed.push(suite.name);
      continue;
    }
    const durationMs = performance.now() - start;
    console.log(formatTable(results));
    console.log(`(${(durationMs / 1000).toFixed(1)} s)`);
    runs.push({ suite: suite.name, title: suite.title, notes: suite.notes, date: new Date().toISOString(), machine: machine(), durationMs, results });
  }
  const written = writeReport(runs);
  console.log(`\nwrote ${written.json} and ${written.markdown} (checksum ${checksum()})`);
  const missed = runs.flatMap((r) => r.results).filter((r) => r.goalMet === false);
  if (missed.length > 0) console.log(`goals missed: ${missed.map((r) => r.name).join('; ')}`);
  if (failed.length > 0) {
    console.error(`suites that failed (their last results kept): ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
