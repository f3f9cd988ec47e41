/**
 * `counters --watch`: what changed per second between two polls, per service and backend (like
 * `ipvsadm --rate`), and how a refresh reaches the screen. Rates come from the poller's own rules
 * (src/poller/rates.ts): a reset or a reboot between two refreshes shows as "-", never as a spike.
 * Invariant: screen control codes are written only to a terminal; piped, each refresh is a block
 * headed by its time, so a log or `grep` sees plain text.
 */
import type { CountersSnapshot } from '../protocol/counters.js';
import type { IntervalResult } from '../poller/rates.js';
import { readingName } from '../poller/snapshot.js';
import { formatBytes, table } from './output.js';

/** Per second, in the unit of its counter: bytes as KiB/s and so on, events as a plain number. */
function rateText(interval: IntervalResult | null, service: string, backend: string | undefined, counter: string, bytes: boolean): string {
  const rate = interval?.counters.get(readingName({ appliance: '', service, ...(backend ? { backend } : {}), counter }))?.rate ?? null;
  if (rate === null) return '-';
  return bytes ? `${formatBytes(Math.round(rate))}/s` : rate.toFixed(rate < 10 ? 2 : 1);
}

/**
 * One table of rates: connections, bytes in and out, failures per second (the interval's), and the
 * active connections and state as read. `interval` null is the first poll: nothing to compare yet.
 */
export function ratesTable(c: CountersSnapshot, interval: IntervalResult | null): string {
  const rows: string[][] = [];
  for (const s of c.services) {
    const r = (counter: string, bytes = false) => rateText(interval, s.name, undefined, counter, bytes);
    rows.push([s.name, `${s.protocol} ${s.listen}`, r('connsTotal'), String(s.connsActive), r('bytesIn', true), r('bytesOut', true), r('failures')]);
    for (const b of s.backends) {
      const rb = (counter: string, bytes = false) => rateText(interval, s.name, b.address, counter, bytes);
      rows.push([`  ${b.address}`, b.state, rb('connsTotal'), String(b.connsActive), rb('bytesIn', true), rb('bytesOut', true), rb('connectFailures')]);
    }
  }
  return table(['service / backend', 'state', 'conn/s', 'active', 'in/s', 'out/s', 'fail/s'], rows, [2, 3, 4, 5, 6]);
}

/** What heads a refresh: the time, the interval the rates cover, or why there are none. */
export function rateHeading(at: Date, interval: IntervalResult | null): string {
  const time = at.toTimeString().slice(0, 8);
  if (interval === null) return `${time}  first poll: rates from the next refresh`;
  if (interval.gap !== null) return `${time}  no rates for this interval (${interval.gap})`;
  return `${time}  per second over the last ${interval.seconds.toFixed(1)}s`;
}

/** A refresh on a terminal: clear the screen, cursor home, then the frame. */
const CLEAR = '\x1b[2J\x1b[H';

/** Writes one frame per refresh: over the last one on a terminal, one after another elsewhere. */
export function writeFrame(out: { write(s: string): unknown; isTTY?: boolean }, frame: string): void {
  out.write(out.isTTY === true ? `${CLEAR}${frame}\n` : `${frame}\n\n`);
}
