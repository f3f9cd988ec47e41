/**
 * `fulcrum monitor` on a terminal: one line per polling cycle for a person to read (time on a
 * 24-hour clock, appliances polled and failed, points stored, how long it took). Piped, or with
 * --json, the monitor prints its structured lines instead: this is only ever the terminal's.
 */
import type { CycleSummary } from '../poller/monitor.js';
import { formatDuration } from '../protocol/rules/duration.js';

export function cycleLine(at: number, s: CycleSummary, intervalMs: number): string {
  const d = new Date(at);
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const appliances = `${s.polled} appliance${s.polled === 1 ? '' : 's'} polled`;
  const failed = s.failed > 0 ? `, ${s.failed} FAILED (fulcrum appliance list shows why)` : '';
  return `${time}  ${appliances}${failed}, ${s.points} points stored in ${Math.round(s.ms)} ms; next cycle in ${formatDuration(intervalMs)}`;
}
