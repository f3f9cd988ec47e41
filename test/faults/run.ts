/**
 * `npm run test:faults`: the seeded fault campaign. Runs every kind's trials one after another
 * (serial pushes under line faults, unplugs and SIGKILLs; power cuts during upgrades; polling
 * through loss, wraps and reboots; two pollers racing for one store; the agent killed
 * mid-rollout; group pushes to a failover pair with the agent or a member killed), prints each
 * failure with the command that replays just that trial, then one table of trials and outcomes.
 * Exit code 1 on any failure. Options: options.ts (USAGE).
 */

import '../../src/protocol/host/install-node-crypto.js';
import { deriveSeed } from '../fuzz/seed.js';
import type { Campaign, Notes } from './campaign.js';
import { parseOptions, USAGE, type FaultOptions } from './options.js';
import { addNotes, formatTable, type KindResult } from './report.js';
import { rngFrom } from './rng.js';
import { groupPushCampaign } from './campaigns/group-push.js';
import { pollingCampaign } from './campaigns/polling.js';
import { pollerRaceCampaign } from './campaigns/poller-race.js';
import { powerCutCampaign } from './campaigns/power-cut.js';
import { rolloutKillCampaign } from './campaigns/rollout-kill.js';
import { serialLineCampaign } from './campaigns/serial-line.js';
import { serialSigkillCampaign } from './campaigns/serial-sigkill.js';

/** 1,000 serial pushes in a full run, a quarter per fault kind; 20 in a short one. */
const CAMPAIGNS: Campaign[] = [
  serialLineCampaign({ kind: 'serial-ber', ber: 1e-4 }, { full: 250, short: 5 }),
  serialLineCampaign({ kind: 'serial-drop', drop: 1e-3 }, { full: 250, short: 5 }),
  serialLineCampaign({ kind: 'serial-unplug' }, { full: 250, short: 5 }),
  serialSigkillCampaign({ full: 250, short: 5 }),
  powerCutCampaign({ full: 5_000, short: 50 }),
  pollingCampaign({ full: 10, short: 1 }),
  pollerRaceCampaign({ full: 20, short: 3 }),
  rolloutKillCampaign({ full: 12, short: 1 }),
  groupPushCampaign({ full: 30, short: 3 }),
];

class TrialTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TrialTimeout(`no result after ${Math.round(ms / 1000)} s`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const firstLines = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n').slice(0, 8).join('\n');

async function runKind(c: Campaign, options: FaultOptions, replay: (index: number) => string): Promise<KindResult> {
  const count = Math.max(1, Math.round((options.short ? c.trials.short : c.trials.full) * options.scale));
  const indices = options.only?.index != null ? [options.only.index] : Array.from({ length: count }, (_, i) => i);
  const result: KindResult = { kind: c.kind, trials: 0, ok: 0, failed: 0, seconds: 0, notes: {}, abandoned: null };
  const started = performance.now();
  try {
    await withTimeout(c.setup?.() ?? Promise.resolve(), 120_000);
  } catch (error) {
    result.failed = 1;
    result.abandoned = `setup failed: ${firstLines(error)}`;
    console.log(`FAILED ${c.kind} setup: ${firstLines(error)}`);
    return result;
  }
  let lastReport = performance.now();
  for (const index of indices) {
    const seed = deriveSeed(options.seed, c.kind, index);
    result.trials++;
    try {
      const notes: Notes = await withTimeout(c.run({ kind: c.kind, index, seed, rng: rngFrom(seed) }), c.trialTimeoutMs);
      addNotes(result.notes, notes);
      result.ok++;
    } catch (error) {
      result.failed++;
      console.log(`\nFAILED ${c.kind} trial ${index} (trial seed ${seed}): ${firstLines(error)}\n  replay: ${replay(index)}`);
      if (error instanceof TrialTimeout) {
        // Whatever hung may still hold the simulator: the kind's later trials would not mean much.
        result.abandoned = `trial ${index} hung`;
        break;
      }
    }
    if (performance.now() - lastReport > 30_000) {
      console.log(`  ${c.kind}: ${result.trials}/${indices.length} trials, ${result.failed} failed`);
      lastReport = performance.now();
    }
  }
  await withTimeout(c.teardown?.() ?? Promise.resolve(), 60_000).catch((error: unknown) => console.log(`${c.kind}: teardown: ${firstLines(error)}`));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

async function main(): Promise<number> {
  let options: FaultOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const kinds = options.only ? CAMPAIGNS.filter((c) => c.kind === options.only!.kind) : CAMPAIGNS;
  if (kinds.length === 0) {
    console.error(`no fault kind "${options.only!.kind}"; kinds: ${CAMPAIGNS.map((c) => c.kind).join(', ')}`);
    return 2;
  }
  const mode = options.short ? ' --short' : '';
  console.log(
    `fault campaign${mode}: FAULT_SEED=${options.seed}${options.only ? ` --only ${options.only.kind}${options.only.index !== null ? `:${options.only.index}` : ''}` : ''}`,
  );
  for (const c of kinds) console.log(`  ${c.kind}: ${c.about}`);

  const results: KindResult[] = [];
  const started = performance.now();
  for (const c of kinds) {
    const r = await runKind(c, options, (index) => `FAULT_SEED=${options.seed} npm run test:faults -- --only ${c.kind}:${index}`);
    console.log(`${r.failed === 0 ? 'ok  ' : 'FAIL'} ${c.kind}: ${r.ok}/${r.trials} trials ok in ${r.seconds.toFixed(1)} s`);
    results.push(r);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${formatTable(results, seconds)}`);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(
    failed === 0 ? `\nfault campaign: no failures (FAULT_SEED=${options.seed})` : `\nfault campaign: ${failed} failed trial(s) (FAULT_SEED=${options.seed})`,
  );
  return failed === 0 ? 0 : 1;
}

// A rejection nobody awaited belongs to some trial that already moved on: report it, fail the run.
let stray = 0;
process.on('unhandledRejection', (reason) => {
  stray++;
  console.log(`\nFAILED: an unhandled rejection: ${firstLines(reason)}`);
});

const code = await main();
process.exit(code === 0 && stray > 0 ? 1 : code);
