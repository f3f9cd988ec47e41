import { SingleBar } from 'cli-progress';
import type { ApplianceDriver } from '../../../drivers/driver.js';
import { configId, decodeRules, encodeRules, parseDuration } from '../../protocol/rules/index.js';
import type { RuleTable } from '../../protocol/rules/model.js';
import { plan } from '../../provision/plan.js';
import { ConfigCache } from '../../store/config-cache.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { renderPlan } from '../render-plan.js';
import { readRules } from '../rules-input.js';
import { withDriver } from '../connect.js';

/** The running table: from the cache when the agent has seen that id, else read from the appliance (and cached). */
async function runningTable(driver: ApplianceDriver, cache: ConfigCache): Promise<RuleTable> {
  const { configId: id } = await driver.info();
  const cached = cache.get(id);
  if (cached) return decodeRules(cached);
  const bytes = await driver.readRunning();
  cache.put(bytes);
  return decodeRules(bytes);
}

export async function diff(file: string, opts: { to: string; json?: boolean }): Promise<void> {
  const next = readRules(file);
  const cache = new ConfigCache();
  const p = await withDriver(opts, async (d) => plan(await runningTable(d, cache), next));
  if (opts.json) printJson(p);
  else process.stdout.write(`${renderPlan(p)}\n`);
}

export async function push(file: string, opts: { to: string; json?: boolean; confirmTimeout?: string }): Promise<void> {
  let confirmTimeoutMs = 0;
  if (opts.confirmTimeout !== undefined) {
    try {
      confirmTimeoutMs = parseDuration(opts.confirmTimeout);
    } catch (err) {
      throw new CliError(`--confirm-timeout: ${(err as Error).message}`, EXIT.usage);
    }
  }
  const rules = readRules(file);
  const encoding = encodeRules(rules);
  const cache = new ConfigCache();
  const progress = new DelayedProgress(!opts.json && process.stderr.isTTY === true);
  const result = await withDriver(opts, (d) =>
    d.push(encoding, { confirmTimeoutMs, baseFor: (id) => cache.get(id), onProgress: (sent, total) => progress.update(sent, total) }),
  );
  progress.stop();
  cache.put(encoding);
  if (result.configId !== configId(rules)) throw new CliError(`the appliance runs ${result.configId}, not ${configId(rules)}`, EXIT.failure);
  if (opts.json) return printJson(result);
  process.stdout.write(
    `pushed ${result.mode === 'delta' ? 'a patch' : 'the full table'}${result.bytes > 0 ? `: ${result.bytes} bytes` : ''} in ${result.seconds.toFixed(2)}s\n` +
      `running ${result.configId}\n  (was ${result.previousConfigId})\n` +
      (confirmTimeoutMs > 0 ? `commit confirmed: it reverts in ${opts.confirmTimeout} unless you run \`fulcrum rules confirm --to ${opts.to}\`\n` : ''),
  );
}

export async function confirm(opts: { to: string; json?: boolean }): Promise<void> {
  const r = await withDriver(opts, (d) => d.confirm());
  if (opts.json) printJson(r);
  else process.stdout.write(`confirmed ${r.configId}\n`);
}

export async function rollback(opts: { to: string; json?: boolean; steps: string }): Promise<void> {
  const steps = Number(opts.steps);
  if (!Number.isInteger(steps) || steps < 1 || steps > 10) throw new CliError('--steps: must be an integer 1..10', EXIT.usage);
  const r = await withDriver(opts, (d) => d.rollback(steps));
  if (opts.json) printJson(r);
  else process.stdout.write(`rolled back ${steps} step${steps === 1 ? '' : 's'}: running ${r.configId}\n`);
}

/** A progress bar that appears only if the push is still going after a second. */
class DelayedProgress {
  private bar: SingleBar | null = null;
  private readonly startedAt = performance.now();
  constructor(private readonly enabled: boolean) {}

  update(sent: number, total: number): void {
    if (!this.enabled) return;
    if (!this.bar) {
      if (performance.now() - this.startedAt < 1_000) return;
      this.bar = new SingleBar({ format: 'pushing [{bar}] {percentage}% {value}/{total} bytes {speed} B/s eta {eta}s', stream: process.stderr, hideCursor: true });
      this.bar.start(total, sent, { speed: 0 });
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.bar.update(sent, { speed: Math.round(sent / seconds) });
  }

  stop(): void {
    this.bar?.stop();
  }
}
