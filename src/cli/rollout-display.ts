/**
 * How `fulcrum rollout` shows a rollout: one line per event while it runs (JSON lines with
 * --json; above a progress bar on a terminal), and the status tables.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RolloutEvent, RolloutStatus } from '../upgrade/rollout/index.js';
import { formatDuration } from '../protocol/rules/index.js';
import { table, toJson } from './output.js';

const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

const seconds = (s: number): string => `${s.toFixed(1)} s`;

/** At most `max` names, then "and N more". */
function names(list: readonly string[], max = 6): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

export function describeEvent(e: RolloutEvent): string {
  switch (e.event) {
    case 'created':
      return `rollout ${e.rollout}: firmware ${e.version} (sha256 ${e.image.slice(0, 16)}…) to ${e.devices} appliance${e.devices === 1 ? '' : 's'} in ${e.waveSizes.length} wave${e.waveSizes.length === 1 ? '' : 's'} of ${e.waveSizes.join(', ')}`;
    case 'run':
      return e.recovered.length > 0
        ? `rollout ${e.rollout}: carrying on; ${names(e.recovered)} ${e.recovered.length === 1 ? 'was' : 'were'} upgrading when the last run ended: upgrading again`
        : `rollout ${e.rollout}: running`;
    case 'wave':
      return `wave ${e.wave}: ${e.appliances.length} appliance${e.appliances.length === 1 ? '' : 's'} (${names(e.appliances)})`;
    case 'upgrading':
      return `  ${e.appliance}: upgrading`;
    case 'succeeded':
      return `  ${e.appliance}: succeeded, runs ${e.version} (${seconds(e.seconds)})`;
    case 'failed':
      return `  ${e.appliance}: FAILED: ${e.error} (${seconds(e.seconds)})`;
    case 'state':
      return `rollout ${e.rollout}: ${e.state === 'running' ? 'resumed' : e.state}${e.reason ? `: ${e.reason}` : ''}`;
    case 'retry':
      return `rollout ${e.rollout}: retrying ${names(e.appliances)}`;
  }
}

/**
 * The live display of a run. On a terminal the lines scroll above a bar counting finished
 * devices; otherwise (a pipe, a log file) they are plain lines on stdout, and with --json one
 * JSON object per line.
 */
export class RolloutProgress {
  private bars: MultiBar | null = null;
  private bar: SingleBar | null = null;
  private done = 0;

  constructor(private readonly json: boolean) {}

  /** Shows the bar (on a terminal): `total` devices, `done` of them finished already. */
  track(total: number, done: number): void {
    this.done = done;
    if (this.bars || this.json || total === 0 || process.stdout.isTTY !== true || process.stderr.isTTY !== true) return;
    this.bars = new MultiBar(
      { format: ' {bar} {value}/{total} appliances done', hideCursor: true, stream: process.stderr, clearOnComplete: true },
      Presets.shades_classic,
    );
    this.bar = this.bars.create(total, done);
  }

  event(e: RolloutEvent, at: number): void {
    if (this.json) return void process.stdout.write(`${toJson({ ts: at, ...e })}\n`);
    const line = `${describeEvent(e)}\n`;
    if (this.bars) this.bars.log(line);
    else process.stdout.write(line);
    // The rollout's first line (its id) is out: the bar goes below it.
    if (e.event === 'created') this.track(e.devices, 0);
    if (e.event === 'succeeded' || e.event === 'failed') this.bar?.update(++this.done);
    if (e.event === 'retry') this.bar?.update((this.done = Math.max(0, this.done - e.appliances.length)));
  }

  stop(): void {
    // Logged lines wait for the next redraw: draw once more so the last ones are not lost.
    this.bars?.update();
    this.bars?.stop();
    this.bars = null;
    this.bar = null;
  }
}

export function renderStatus(s: RolloutStatus, now = Date.now()): string {
  const runner = s.runner
    ? `run by process ${s.runner.pid} on ${s.runner.host} (heard from ${Math.max(0, Math.round((now - s.runner.heartbeat) / 1000))} s ago)`
    : s.state === 'running'
      ? `no process runs it now: \`fulcrum rollout resume ${s.id}\` carries on`
      : 'no process runs it';
  const head = [
    `rollout ${s.id}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
    `  firmware  ${s.version}, sha256 ${s.image}`,
    `  waves     ${s.steps.join(', ')} → ${s.waves.map((w) => w.size).join(', ')} appliances`,
    `  failures  ${s.totals.failed} of ${s.allowedFailures} allowed (max failures ${s.maxFailures})`,
    `  deadline  ${formatDuration(s.deadlineMs)} per appliance`,
    `  created   ${when(s.created)}, updated ${when(s.updated)}`,
    `  ${runner}`,
  ].join('\n');
  const waves = table(
    ['wave', 'size', 'pending', 'upgrading', 'succeeded', 'failed'],
    s.waves.map((w) => [w.wave, w.size, w.pending, w.upgrading, w.succeeded, w.failed]),
    [0, 1, 2, 3, 4, 5],
  );
  const devices = table(
    ['appliance', 'wave', 'state', 'started', 'finished', 'version', 'error'],
    s.devices.map((d) => [d.appliance, d.wave, d.state, when(d.started), when(d.finished), d.version ?? '-', d.error ?? '']),
    [1],
  );
  return `${head}\n\n${waves}\n\n${devices}`;
}

export function renderList(list: readonly Omit<RolloutStatus, 'devices'>[]): string {
  return table(
    ['id', 'state', 'firmware', 'appliances', 'succeeded', 'failed', 'created'],
    list.map((s) => [s.id, s.state, s.version, s.totals.devices, s.totals.succeeded, s.totals.failed, when(s.created)]),
    [0, 3, 4, 5],
  );
}
