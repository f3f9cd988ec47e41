import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured figure, optionally beside a peer measured in the same run (or cited). */
export interface Result {
  name: string;
  value: number;
  unit: string;
  /** The peer, or null when there is none. */
  peer: string | null;
  peerValue: number | null;
  /**
   * How many times better than the peer: value / peerValue where higher is better (rates),
   * peerValue / value where lower is better (times, imbalance). Above 1 means ahead.
   */
  ratio: number | null;
  /** The target, e.g. "≥ 10 M picks/s" or "≥ 3× vs peer"; absent when none was set. */
  goal?: string;
  /** Whether the goal was met; absent when there is no goal. */
  goalMet?: boolean;
}

export type Better = 'higher' | 'lower';

export interface Goal {
  /** The value must reach this (higher is better) or stay within it (lower is better). */
  value?: number;
  /** The ratio against the peer must reach this. */
  ratio?: number;
}

export interface ResultSpec {
  name: string;
  value: number;
  unit: string;
  better: Better;
  peer?: { name: string; value: number };
  goal?: Goal;
}

/** Build a Result, computing the ratio in the right direction and checking the goal. */
export function result(spec: ResultSpec): Result {
  const { name, value, unit, better, peer, goal } = spec;
  const ratio = peer ? (better === 'higher' ? value / peer.value : peer.value / value) : null;
  const out: Result = { name, value, unit, peer: peer?.name ?? null, peerValue: peer?.value ?? null, ratio };
  if (goal) {
    const parts: string[] = [];
    let met = true;
    if (goal.value !== undefined) {
      parts.push(`${better === 'higher' ? '≥' : '≤'} ${formatValue(goal.value, unit)} ${unit}`);
      met &&= better === 'higher' ? value >= goal.value : value <= goal.value;
    }
    if (goal.ratio !== undefined) {
      parts.push(`≥ ${goal.ratio}× vs peer`);
      met &&= ratio !== null && ratio >= goal.ratio;
    }
    out.goal = parts.join(', ');
    out.goalMet = met;
  }
  return out;
}

/** Rates get an SI prefix; everything else four significant digits. */
export function formatValue(value: number, unit: string): string {
  if (unit.endsWith('/s')) {
    for (const [scale, prefix] of [
      [1e9, 'G'],
      [1e6, 'M'],
      [1e3, 'k'],
    ] as const) {
      if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(3)} ${prefix}`;
    }
  }
  return String(Number(value.toPrecision(4)));
}

function formatRatio(r: Result): string {
  if (r.ratio === null || r.peer === null || r.peerValue === null) return '';
  return `${r.ratio.toFixed(2)}× vs ${r.peer} (${formatValue(r.peerValue, r.unit)})`;
}

function formatGoal(r: Result): string {
  return r.goal === undefined ? '' : `goal ${r.goal} ${r.goalMet ? '✓' : '✗'}`;
}

/** `name  value unit  ratio vs peer  goal`, columns aligned. */
export function formatTable(results: readonly Result[]): string {
  const rows = results.map((r) => [r.name, `${formatValue(r.value, r.unit)} ${r.unit}`, formatRatio(r), formatGoal(r)]);
  const widths = [0, 1, 2, 3].map((c) => Math.max(0, ...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
}

export function machine(): Machine {
  const list = cpus();
  return { cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length, node: process.version };
}

export interface SuiteRun {
  suite: string;
  title: string;
  /** What a reader needs to read the figures right: method, caveats. */
  notes: string[];
  date: string;
  machine: Machine;
  durationMs: number;
  results: Result[];
}

interface ResultsFile {
  generated: string;
  ratio: string;
  suites: SuiteRun[];
}

/** The repository root: the nearest folder above this module with a package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the bench folder');
    dir = parent;
  }
  return dir;
}

/**
 * Write bench/results.json and docs/PERFORMANCE.md. Suites not run this time keep their last
 * results (with their own date and machine), so running one suite does not erase the others.
 */
export function writeReport(runs: readonly SuiteRun[], root = repoRoot()): { json: string; markdown: string } {
  const json = join(root, 'bench', 'results.json');
  const markdown = join(root, 'docs', 'PERFORMANCE.md');
  const merged = new Map<string, SuiteRun>();
  if (existsSync(json)) {
    try {
      for (const run of (JSON.parse(readFileSync(json, 'utf8')) as ResultsFile).suites ?? []) merged.set(run.suite, run);
    } catch {
      // An unreadable previous file is simply replaced.
    }
  }
  for (const run of runs) merged.set(run.suite, run);
  const suites = [...merged.values()].sort((a, b) => a.suite.localeCompare(b.suite));
  const file: ResultsFile = {
    generated: new Date().toISOString(),
    ratio: 'times better than the peer: value/peerValue for rates, peerValue/value for times and imbalance',
    suites,
  };
  writeFileSync(json, JSON.stringify(file, null, 2) + '\n');
  writeFileSync(markdown, renderMarkdown(suites));
  return { json, markdown };
}

const escape = (text: string) => text.replaceAll('|', '\\|');

function renderMarkdown(suites: readonly SuiteRun[]): string {
  const lines = [
    '# Performance',
    '',
    'Generated by `npm run bench` (or `npx tsx bench/run.ts [suite…]`); do not edit by hand.',
    'Each figure is the median of several timed runs after a warm-up. Peers run in the same',
    'process, on the same inputs, in the same run, unless marked as cited. **Ratio** is how many',
    'times better than the peer: value/peer for rates, peer/value for times and imbalance.',
    '',
    '## Goals at a glance',
    '',
    '| Suite | Measure | Value | Peer | Goal | Met |',
    '| --- | --- | ---: | --- | --- | :---: |',
  ];
  for (const run of suites) {
    for (const r of run.results.filter((x) => x.goal !== undefined)) {
      const peer = r.peer === null ? '—' : `${escape(r.peer)}${r.ratio === null ? '' : ` (${r.ratio.toFixed(2)}×)`}`;
      lines.push(
        `| ${run.suite} | ${escape(r.name)} | ${formatValue(r.value, r.unit)} ${escape(r.unit)} | ${peer} | ${escape(r.goal!)} | ${r.goalMet ? '✓' : '✗'} |`,
      );
    }
  }
  lines.push('');
  // What was done about missed goals, and the fault and fuzz campaigns: kept by hand next to the results.
  for (const name of ['missed-goals.md', 'campaigns.md']) {
    const file = join(repoRoot(), 'bench', name);
    if (existsSync(file)) lines.push(readFileSync(file, 'utf8').trim(), '');
  }
  for (const run of suites) {
    const m = run.machine;
    lines.push(
      `## ${run.title}`,
      '',
      `Measured ${run.date} on ${m.cpu}, ${m.cores} cores, Node ${m.node} (suite \`${run.suite}\`, ${(run.durationMs / 1000).toFixed(1)} s).`,
      '',
      '| Measure | Value | Peer | Peer value | Ratio | Goal |',
      '| --- | ---: | --- | ---: | ---: | --- |',
    );
    for (const r of run.results) {
      const cells = [
        escape(r.name),
        `${formatValue(r.value, r.unit)} ${escape(r.unit)}`,
        r.peer === null ? '—' : escape(r.peer),
        r.peerValue === null ? '—' : `${formatValue(r.peerValue, r.unit)} ${escape(r.unit)}`,
        r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
        r.goal === undefined ? '—' : `${escape(r.goal)} ${r.goalMet ? '✓' : '✗'}`,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
    for (const note of run.notes ?? []) lines.push(`- ${note}`);
    if (run.notes?.length) lines.push('');
  }
  return lines.join('\n');
}
