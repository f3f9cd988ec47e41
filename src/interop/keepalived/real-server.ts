/**
 * `real_server IP [PORT] { … }` → a backend and what its checker would probe. Carried: weight,
 * uthreshold (max-connections), the first TCP_CHECK / HTTP_GET / SSL_GET (SMTP_CHECK and
 * DNS_CHECK as connect checks) with its timing. Reported: everything else, including checks
 * that run scripts or send ICMP, which a rule table cannot express.
 */

import { endpointFrom } from '../address.js';
import { newBackend, type BackendDraft } from '../draft.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { statusRange } from '../status.js';
import { directiveText, type Directive } from '../syntax.js';
import { count, layered, readTiming, type Timing } from './timing.js';

export interface ServerCheck {
  type: 'tcp' | 'http';
  /** Checker kind as written, for reports. */
  kind: string;
  path: string;
  expect: [number, number];
  timing: Timing;
  /** connect_port, when set. */
  port: number | null;
  at: Directive;
}

export interface RealServer {
  backend: BackendDraft;
  port: number;
  check: ServerCheck | null;
  timing: Timing;
  at: Directive;
}

const CONNECT_CHECKS: Record<string, 'tcp' | 'http'> = { TCP_CHECK: 'tcp', HTTP_GET: 'http', SSL_GET: 'http', SMTP_CHECK: 'tcp', DNS_CHECK: 'tcp' };
const OTHER_CHECKS = ['MISC_CHECK', 'BFD_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK'];
const SERVER_REASONS: Record<string, string> = {
  notify_up: 'notification scripts are not carried',
  notify_down: 'notification scripts are not carried',
  lthreshold: 'a lower connection threshold is not carried (only uthreshold, as max-connections)',
  inhibit_on_failure: 'not carried: a failed Fulcrum backend is taken out, not kept with weight 0',
  lvs_method: 'the forwarding method is not carried: a Fulcrum appliance proxies every flow',
  lb_kind: 'the forwarding method is not carried: a Fulcrum appliance proxies every flow',
  alpha: "not carried: the state of a backend at start-up is Fulcrum's own",
  warmup: 'not carried: Fulcrum spreads its first probes itself',
};

export function readRealServer(d: Directive, vsPort: number, base: Timing, report: ImportReport): RealServer | null {
  const [hostWord, portWord] = d.words.slice(1);
  if (hostWord === undefined) throw new ImportError(report.file, d.line, d.column, '"real_server" needs an address');
  const port = portWord === undefined ? vsPort : Number(portWord.text);
  const result = endpointFrom(hostWord.text, portWord?.text ?? vsPort);
  if ('problem' in result) {
    report.omit(d.line, directiveText(d), `${result.problem}; real server not imported`);
    return null;
  }
  const backend = newBackend(result.endpoint, { line: d.line, directive: directiveText(d) });
  const own: Timing = {};
  const checks: ServerCheck[] = [];
  for (const child of d.block ?? []) {
    if (readTiming(own, child, report)) continue;
    if (child.name === 'weight') backend.weight = count(child, report);
    else if (child.name === 'uthreshold') backend.maxConnections = count(child, report);
    else if (child.name in CONNECT_CHECKS) checks.push(readChecker(child, report));
    else if (OTHER_CHECKS.includes(child.name)) report.omit(child.line, child.name, 'only connect and HTTP checks are carried; this checker is not');
    else report.omit(child.line, directiveText(child), SERVER_REASONS[child.name] ?? 'not carried over: a rule table has no equivalent');
  }
  const timing = layered(base, own);
  const [check, ...more] = checks;
  for (const extra of more) report.omit(extra.at.line, extra.kind, 'a backend has one health check in a rule table; only its first checker is imported');
  if (check !== undefined) check.timing = layered(timing, check.timing);
  return { backend, port, check: check ?? null, timing, at: d };
}

function readChecker(d: Directive, report: ImportReport): ServerCheck {
  const type = CONNECT_CHECKS[d.name]!;
  const check: ServerCheck = { type, kind: d.name, path: '/', expect: [200, 299], timing: {}, port: null, at: d };
  if (d.name === 'SSL_GET') report.omit(d.line, d.name, 'TLS is not carried: the imported check is a plain HTTP GET');
  if (d.name === 'SMTP_CHECK' || d.name === 'DNS_CHECK') {
    report.omit(d.line, d.name, `the ${d.name === 'SMTP_CHECK' ? 'SMTP' : 'DNS'} exchange is not carried; a TCP connect check is imported`);
  }
  let urls = 0;
  for (const child of d.block ?? []) {
    if (readTiming(check.timing, child, report)) continue;
    if (child.name === 'connect_port') check.port = count(child, report);
    else if (child.name === 'url' && type === 'http') {
      urls++;
      if (urls === 1) readUrl(check, child, report);
      else report.omit(child.line, 'url', 'a health check requests one path; only the first url is imported');
    } else if (child.name === 'log_all_failures' || child.name === 'fast_recovery' || child.name === 'http_protocol') {
      report.omit(child.line, directiveText(child), "not carried: probe details are Fulcrum's own");
    } else {
      report.omit(
        child.line,
        directiveText(child),
        child.name.startsWith('bind') || child.name === 'connect_ip'
          ? "not carried: Fulcrum probes the backend's own address from its own"
          : 'not carried over: a rule table has no equivalent',
      );
    }
  }
  return check;
}

function readUrl(check: ServerCheck, d: Directive, report: ImportReport): void {
  for (const child of d.block ?? []) {
    if (child.name === 'path' && child.args[0] !== undefined) {
      check.path = child.args[0];
    } else if (child.name === 'status_code') {
      const range = statusRange(child.args);
      if (range === null) throw new ImportError(report.file, child.line, child.column, `"status_code" needs codes or ranges like 200 or 200-299`);
      if (range.partial)
        report.omit(child.line, directiveText(child), `several status ranges cannot be expressed; ${range.value[0]}-${range.value[1]} is used`);
      check.expect = range.value;
    } else {
      report.omit(
        child.line,
        directiveText(child),
        child.name === 'digest' || child.name.startsWith('regex')
          ? 'checking the response body is not carried: only the status is'
          : 'not carried: a Fulcrum check sends a plain GET of the path',
      );
    }
  }
}
