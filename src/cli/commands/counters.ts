/**
 * `fulcrum counters --to T [--watch]` and `fulcrum poll`: an appliance's counters read live.
 * Once: the totals. With --watch: every --interval, the rates since the refresh before (Δ per
 * second, by the poller's rules: a reset is a "-", not a spike); --json prints each snapshot as
 * read, one document per poll.
 */
import { viaInfo } from '../../poller/monitor.js';
import { computeDeltas, type IntervalResult, type PollSample } from '../../poller/rates.js';
import { snapshotReadings } from '../../poller/snapshot.js';
import { hasPoll } from '../../provision/pooled-driver.js';
import { withDriver, type TargetOptions } from '../connect.js';
import { countersTable } from '../counters-table.js';
import { rateHeading, ratesTable, writeFrame } from '../counters-rates.js';
import { durationFlag } from '../options.js';
import { printJson } from '../output.js';

export interface CountersOptions extends TargetOptions {
  json?: boolean;
  watch?: boolean;
  interval: string;
}

/** Faster refreshes than this would queue behind a console's own round trips. */
const MIN_INTERVAL = { ms: 200, why: 'the 200ms a refresh may take' };

export async function counters(opts: CountersOptions): Promise<void> {
  const everyMs = durationFlag('--interval', opts.interval, MIN_INTERVAL);
  await withDriver(opts, async (d) => {
    if (!opts.watch) {
      const snapshot = await d.counters();
      return opts.json ? printJson(snapshot) : void process.stdout.write(`${countersTable(snapshot)}\n`);
    }
    let previous: PollSample | null = null;
    for (;;) {
      // Uptime with the counters, so a reboot between two refreshes is told from a slow poll.
      const { sysUpTime, at, snapshot } = hasPoll(d) ? await d.poll() : await viaInfo(d);
      const sample: PollSample = { timeMs: at ?? Date.now(), sysUpTime, counters: snapshotReadings(d.target, snapshot).counters };
      const interval: IntervalResult | null = previous ? computeDeltas(previous, sample, { expectedIntervalMs: everyMs }) : null;
      previous = sample;
      if (opts.json) printJson(snapshot);
      else writeFrame(process.stdout, `${rateHeading(new Date(sample.timeMs), interval)}\n${ratesTable(snapshot, interval)}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  });
}
