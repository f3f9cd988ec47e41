import { withDriver } from '../connect.js';
import { printJson } from '../output.js';
import { countersTable } from '../counters-table.js';

export async function counters(opts: { to: string; json?: boolean; watch?: boolean; interval: string }): Promise<void> {
  const everyMs = Math.max(200, Number(opts.interval) * 1000 || 2000);
  await withDriver(opts, async (d) => {
    for (;;) {
      const snapshot = await d.counters();
      if (opts.json) printJson(snapshot);
      else process.stdout.write(`${opts.watch ? '\x1b[2J\x1b[H' : ''}${countersTable(snapshot)}\n`);
      if (!opts.watch) return;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  });
}
