/**
 * `stream { … }` → service drafts: each `server` block, one service per `listen`, named after
 * the upstream it proxies to (`stream-PORT` when it proxies to a literal address). Its idle
 * timeout is proxy_timeout (nginx's default 10 min), set in the server or for the whole block.
 */

import { endpointFrom, splitHostPort } from '../address.js';
import { newBackend, newService, numbered, type ServiceDraft } from '../draft.js';
import { nginxDuration } from '../durations.js';
import { ImportError } from '../errors.js';
import { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import type { HealthCheck } from '../../protocol/rules/model.js';
import { readListen } from './listen.js';
import { readUpstream, upstreamAlgorithm, upstreamBackends, type Upstream } from './upstream.js';

/** nginx's proxy_timeout when none is set. */
export const NGINX_PROXY_TIMEOUT_MS = 600_000;

const STREAM_REASONS: Record<string, string> = {
  proxy_connect_timeout: 'not carried: a rule table has no connect timeout',
  proxy_responses: 'not carried: a UDP session lasts until its idle timeout whatever the number of replies',
  proxy_next_upstream: 'not carried: Fulcrum retries a failed connect on another backend, up to 4 tries, the fallback last',
  proxy_next_upstream_tries: 'not carried: Fulcrum retries a failed connect on another backend, up to 4 tries, the fallback last',
  proxy_next_upstream_timeout: 'not carried: Fulcrum retries a failed connect on another backend, up to 4 tries, the fallback last',
  proxy_protocol: 'the PROXY protocol header is not sent by Fulcrum',
  proxy_bind: 'choosing the source address towards backends is not carried',
  allow: 'access control is not carried: a service accepts every client',
  deny: 'access control is not carried: a service accepts every client',
  access_log: 'logging is configured on the appliance, not in a rule table',
  error_log: 'logging is configured on the appliance, not in a rule table',
  log_format: 'logging is configured on the appliance, not in a rule table',
  limit_conn: 'connection limits per client are not carried',
  limit_conn_zone: 'connection limits per client are not carried',
  proxy_download_rate: 'rate limits are not carried',
  proxy_upload_rate: 'rate limits are not carried',
  resolver: 'a rule table holds IP addresses: names are not resolved',
  ssl_preread: 'reading the TLS SNI to route is not carried',
};

export function mapStream(block: Directive, report: ImportReport): ServiceDraft[] {
  const upstreams = new Map<string, Upstream>();
  let streamTimeout: number | undefined;
  for (const d of block.block ?? []) {
    if (d.name === 'upstream') upstreams.set(d.args[0] ?? '', readUpstream(d, null, report));
    else if (d.name === 'proxy_timeout') streamTimeout = time(d, report);
    else if (d.name !== 'server') report.omit(d.line, directiveText(d), reasonFor(d));
  }
  const used = new Set<string>();
  const drafts = (block.block ?? []).filter((d) => d.name === 'server').flatMap((d) => serverDrafts(d, upstreams, used, streamTimeout, report));
  for (const [name, upstream] of upstreams) {
    if (!used.has(name)) report.omit(upstream.at.line, directiveText(upstream.at), 'no server block proxies to this upstream; not imported');
  }
  return drafts;
}

export function reasonFor(d: Directive): string {
  if (d.name.startsWith('ssl_') || d.name.startsWith('proxy_ssl')) return 'TLS is not carried: Fulcrum forwards the bytes as they come';
  if (d.name === 'include') return 'included files are not followed on import: import each file on its own';
  return STREAM_REASONS[d.name] ?? 'not carried over: a rule table has no equivalent';
}

export function time(d: Directive, report: ImportReport): number {
  const word = d.words[1];
  if (word === undefined) throw new ImportError(report.file, d.line, d.column, `"${d.name}" needs a time`);
  const parsed = nginxDuration(word.text);
  if ('problem' in parsed) throw new ImportError(report.file, word.line, word.column, parsed.problem);
  return parsed.ms;
}

function serverDrafts(
  d: Directive,
  upstreams: Map<string, Upstream>,
  used: Set<string>,
  streamTimeout: number | undefined,
  report: ImportReport,
): ServiceDraft[] {
  const listens: Directive[] = [];
  let pass: Directive | undefined;
  let timeout = streamTimeout;
  let health: HealthCheck | null = null;
  for (const child of d.block ?? []) {
    if (child.name === 'listen') listens.push(child);
    else if (child.name === 'proxy_pass') pass = child;
    else if (child.name === 'proxy_timeout') timeout = time(child, report);
    else if (child.name === 'health_check') health = plusHealthCheck(child, d, report);
    else if (child.name === 'health_check_timeout') continue;
    else report.omit(child.line, directiveText(child), reasonFor(child));
  }
  const here = { line: d.line, directive: directiveText(d) };
  const target = pass?.args[0];
  if (pass === undefined || target === undefined || target.includes('$')) {
    report.omit(
      (pass ?? d).line,
      directiveText(pass ?? d),
      pass === undefined ? 'a server without proxy_pass is not a service' : 'proxying to a variable is not carried: a service has fixed backends',
    );
    return [];
  }
  const upstream = upstreams.get(target);
  if (upstream !== undefined) used.add(target);
  const listeners = listens.map((l) => readListen(l, report)).filter((l) => l !== null);
  if (listeners.length === 0) {
    report.omit(here.line, here.directive, 'no listen address that a rule table can hold: not a service');
    return [];
  }
  const first = listeners[0]!;
  const base = upstream?.name ?? `stream-${splitHostPort(first.endpoint).port}${first.protocol === 'udp' ? '-udp' : ''}`;
  return listeners.map((listen, index) => {
    const draft = newService(numbered(base, index), listen.endpoint, listen.protocol, { line: listen.at.line, directive: directiveText(listen.at) });
    const quiet = index === 0 ? report : scratch(report);
    if (upstream !== undefined) {
      draft.backends = upstreamBackends(upstream, quiet);
      Object.assign(
        draft,
        upstreamAlgorithm(
          upstream,
          draft.backends.map((b) => b.weight),
          quiet,
        ),
      );
    } else {
      const address = literalBackend(pass!, report);
      if (address !== null) draft.backends = [newBackend(address, { line: pass!.line, directive: directiveText(pass!) })];
    }
    draft.idleTimeoutMs = timeout ?? NGINX_PROXY_TIMEOUT_MS;
    draft.health = health;
    return draft;
  });
}

/** Later listen addresses of one server would repeat the first one's entries: they go to a scratch report. */
function scratch(report: ImportReport): ImportReport {
  return new ImportReport(report.file);
}

function literalBackend(pass: Directive, report: ImportReport): string | null {
  const text = pass.args[0]!;
  const { host, port } = splitHostPort(text);
  if (port === null) {
    const word = pass.words[1]!;
    throw new ImportError(report.file, word.line, word.column, `no upstream named "${text}" and no port in the address`);
  }
  const endpoint = endpointFrom(host, port);
  if ('problem' in endpoint) {
    report.omit(pass.line, directiveText(pass), `${endpoint.problem}; not imported`);
    return null;
  }
  return endpoint.endpoint;
}

/** NGINX Plus `health_check interval=… fails=… passes=…`: an active connect check. */
function plusHealthCheck(d: Directive, server: Directive, report: ImportReport): HealthCheck {
  const values: Record<string, string> = {};
  for (const option of d.args) {
    const [key = '', value = ''] = option.split('=', 2);
    values[key] = value;
  }
  for (const key of Object.keys(values)) {
    if (!['interval', 'fails', 'passes', 'udp'].includes(key))
      report.omit(d.line, key, "not carried: a Fulcrum check connects to the backend's own port and expects nothing");
  }
  const timeoutDirective = (server.block ?? []).find((c) => c.name === 'health_check_timeout');
  const interval = values.interval === undefined ? null : nginxDuration(values.interval);
  if (interval !== null && 'problem' in interval) throw new ImportError(report.file, d.line, d.column, interval.problem);
  const intervalMs = interval?.ms ?? 5_000;
  const timeoutMs = timeoutDirective === undefined ? Math.min(5_000, intervalMs) : time(timeoutDirective, report);
  const count = (text: string | undefined) => (text !== undefined && /^[0-9]+$/.test(text) ? Number(text) : 1);
  return { type: 'tcp', intervalMs, timeoutMs, rise: count(values.passes), fall: count(values.fails), path: '', expectStatus: [0, 0] };
}
