/**
 * Server `check` settings → one health check for the service. HAProxy checks per server, a rule
 * table per service: the first checked server's timing is used and every server that differs is
 * reported, as is a check sent to another port than the server's (Patroni's `check port 8008`),
 * which Fulcrum cannot do: it probes the backend's own address and port.
 */

import { DEFAULTS, type HealthCheck } from '../../protocol/rules/model.js';
import type { ImportReport } from '../report.js';
import { directiveText } from '../syntax.js';
import { PROTOCOL_CHECKS, type ProxyConfig } from './proxy.js';
import type { ServerLine, ServerParams } from './server.js';

export interface CheckedServer {
  line: ServerLine;
  params: ServerParams;
  /** The server's service port (from its address or the listener's). */
  port: number;
}

export function healthOf(backend: ProxyConfig, servers: readonly CheckedServer[], report: ImportReport): HealthCheck | null {
  const checked = servers.filter((s) => s.params.check === true);
  const option = backend.check;
  if (checked.length === 0) {
    if (option !== undefined)
      report.omit(option.at.line, directiveText(option.at), 'no server has "check", so HAProxy runs no checks; no health check imported');
    return null;
  }
  const first = checked[0]!.params;
  const defaults = DEFAULTS.health;
  const intervalMs = first.inter ?? defaults.intervalMs;
  const rise = first.rise ?? defaults.rise;
  const fall = first.fall ?? defaults.fall;
  for (const server of servers) {
    const at = server.line.at;
    if (server.params.check !== true) {
      if (server.params.disabled !== true) report.omit(at.line, directiveText(at), 'server without "check": Fulcrum checks every backend of a checked service');
      continue;
    }
    const p = server.params;
    if ((p.inter ?? defaults.intervalMs) !== intervalMs || (p.rise ?? defaults.rise) !== rise || (p.fall ?? defaults.fall) !== fall) {
      report.omit(at.line, directiveText(at), "check timing differs from the first checked server; a service has one health check, the first server's is used");
    }
    const checkPort = p.port ?? backend.checkPort?.value;
    if (checkPort !== undefined && checkPort !== server.port) {
      report.omit(
        at.line,
        directiveText(at),
        `the check goes to port ${checkPort}, Fulcrum probes the backend's own port ${server.port}: review the health check (a role check on another port, like Patroni's, cannot be expressed)`,
      );
    }
  }
  const checkTimeout = backend.timeouts.check;
  let timeoutMs = checkTimeout?.value ?? intervalMs;
  if (checkTimeout !== undefined && timeoutMs > intervalMs) {
    // HAProxy caps the connect part at inter itself; a rule table insists timeout <= interval.
    report.omit(checkTimeout.at.line, directiveText(checkTimeout.at), `longer than the check interval (${intervalMs}ms); the interval is used as the timeout`);
    timeoutMs = intervalMs;
  }
  if (option !== undefined && PROTOCOL_CHECKS.includes(option.value)) {
    report.omit(option.at.line, directiveText(option.at), `the ${option.value} protocol exchange is not carried; a TCP connect check is imported`);
  }
  if (option?.value !== 'httpchk') return { type: 'tcp', intervalMs, timeoutMs, rise, fall, path: '', expectStatus: [0, 0] };
  const request = backend.httpRequest?.value ?? { method: 'OPTIONS', path: '/' };
  if (request.method.toUpperCase() !== 'GET') {
    const at = backend.httpRequest?.at ?? option.at;
    report.omit(at.line, directiveText(at), `the check method ${request.method} is not carried: Fulcrum probes with GET`);
  }
  const expectStatus = backend.expect?.value ?? [...defaults.expectStatus];
  return { type: 'http', intervalMs, timeoutMs, rise, fall, path: request.path, expectStatus: [expectStatus[0], expectStatus[1]] };
}
