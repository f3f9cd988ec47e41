import { parseDuration } from '../../protocol/rules/index.js';
import { Monitor } from '../../poller/monitor.js';
import { openStore } from '../../store/index.js';
import { connectTarget, storedCredentials } from '../connect.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { createLogger } from '../../log/logger.js';
import { startTrapReceiver } from '../trap-receiver.js';

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** Polls the whole inventory every interval into the store, until --for runs out or a signal. */
export async function monitor(opts: { interval: string; db?: string; for?: string; trapPort?: string; json?: boolean }): Promise<void> {
  const intervalMs = duration('--interval', opts.interval);
  const forMs = opts.for ? duration('--for', opts.for) : Infinity;
  const store = openStore(opts.db ? { file: opts.db } : {});
  const log = createLogger('monitor');
  const m = new Monitor(store.metrics, {
    intervalMs,
    connect: (record) => connectTarget(record.target, storedCredentials(record.credentials)),
    onPollFailed: (appliance, err) => log.warn({ appliance, err: (err as Error).message }, 'poll failed'),
  });
  const traps = opts.trapPort ? await startTrapReceiver(Number(opts.trapPort), store) : null;
  const started = Date.now();
  let stop = false;
  const halt = () => (stop = true);
  process.once('SIGINT', halt);
  process.once('SIGTERM', halt);
  try {
    let lastPrune = Date.now();
    while (!stop && Date.now() - started < forMs) {
      const cycleStart = Date.now();
      const appliances = store.inventory.list();
      const summary = await m.cycle(appliances);
      if (opts.json) printJson({ at: cycleStart, ...summary, ms: Math.round(summary.ms) });
      else log.info(summary, 'cycle');
      if (Date.now() - lastPrune > 3_600_000) {
        store.prune();
        lastPrune = Date.now();
      }
      const wait = Math.min(intervalMs - (Date.now() - cycleStart), forMs - (Date.now() - started));
      if (wait > 0 && !stop) await new Promise((r) => setTimeout(r, wait));
    }
  } finally {
    await m.close();
    traps?.close();
    store.close();
  }
}
