/**
 * The real servers' checkers → one health check for the service. keepalived's timing maps as:
 * interval = delay_loop (60 s by default), timeout = connect_timeout (5 s), fall = retry + 1
 * (retry 1 by default, 3 for DNS_CHECK), rise = 1 (one good check brings a real server back).
 * Retries spaced by delay_before_retry rather than by the interval are reported.
 */

import { formatDuration } from '../../protocol/rules/duration.js';
import type { HealthCheck } from '../../protocol/rules/model.js';
import type { ImportReport } from '../report.js';
import { directiveText } from '../syntax.js';
import type { RealServer, ServerCheck } from './real-server.js';

export const DEFAULT_DELAY_LOOP_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

interface Effective {
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  spacingMs: number;
}

export function effectiveTiming(check: ServerCheck): Effective {
  const t = check.timing;
  const intervalMs = t.delayLoopMs ?? DEFAULT_DELAY_LOOP_MS;
  const retry = t.retry ?? (check.kind === 'DNS_CHECK' ? 3 : 1);
  const defaultSpacing = check.kind === 'HTTP_GET' || check.kind === 'SSL_GET' ? 3_000 : check.kind === 'DNS_CHECK' ? intervalMs : 1_000;
  return { intervalMs, timeoutMs: t.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, fall: retry + 1, spacingMs: t.delayBeforeRetryMs ?? defaultSpacing };
}

export function healthOf(servers: readonly RealServer[], report: ImportReport): HealthCheck | null {
  const checked = servers.filter((s) => s.check !== null);
  const firstServer = checked[0];
  if (firstServer === undefined) return null;
  const first = firstServer.check!;
  const timing = effectiveTiming(first);
  for (const server of servers) {
    const at = server.at;
    const check = server.check;
    if (check === null) {
      report.omit(at.line, directiveText(at), 'real server without a checker: Fulcrum checks every backend of a checked service');
      continue;
    }
    const own = effectiveTiming(check);
    const same = own.intervalMs === timing.intervalMs && own.timeoutMs === timing.timeoutMs && own.fall === timing.fall;
    if (!same || check.type !== first.type || check.path !== first.path || check.expect.join() !== first.expect.join()) {
      report.omit(check.at.line, check.kind, "this check differs from the first real server's; a service has one health check, the first one is used");
    }
    if (check.port !== null && check.port !== server.port) {
      report.omit(check.at.line, `connect_port ${check.port}`, `Fulcrum probes the backend's own port ${server.port}: review the health check`);
    }
    if (own.fall > 1 && own.spacingMs !== own.intervalMs) {
      report.omit(
        check.at.line,
        check.kind,
        `retries come ${formatDuration(own.spacingMs)} apart here; Fulcrum probes every interval (${formatDuration(own.intervalMs)}), so a failing backend is taken out later`,
      );
    }
  }
  const { intervalMs, timeoutMs, fall } = timing;
  if (first.type === 'tcp') return { type: 'tcp', intervalMs, timeoutMs, rise: 1, fall, path: '', expectStatus: [0, 0] };
  return { type: 'http', intervalMs, timeoutMs, rise: 1, fall, path: first.path, expectStatus: [first.expect[0], first.expect[1]] };
}
