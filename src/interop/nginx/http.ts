/**
 * `http { … }` → TCP service drafts. A server block whose location proxies to an upstream (or an
 * address) becomes a service on each of its listen addresses; everything that is HTTP (other
 * locations, headers, rewrites, caching, TLS) is reported, since a rule table balances
 * connections and never looks into requests.
 */

import { endpointFrom, splitHostPort } from '../address.js';
import { newBackend, newService, numbered, type ServiceDraft } from '../draft.js';
import { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import { DEFAULTS } from '../../protocol/rules/model.js';
import { readListen, type Listen } from './listen.js';
import { readUpstream, upstreamAlgorithm, upstreamBackends, type Upstream } from './upstream.js';

const HTTP_ONLY = 'HTTP-only: the imported service balances TCP connections and does not look into requests';
const TLS = 'TLS is not carried: Fulcrum forwards the bytes as they come';

export function mapHttp(block: Directive, report: ImportReport): ServiceDraft[] {
  report.omit(block.line, 'http', `${HTTP_ONLY}; each proxying server block is imported as a TCP service`);
  const upstreams = new Map<string, Upstream>();
  for (const d of block.block ?? []) {
    if (d.name === 'upstream') upstreams.set(d.args[0] ?? '', readUpstream(d, 80, report));
    else if (d.name !== 'server') report.omit(d.line, directiveText(d), reasonFor(d));
  }
  const used = new Set<string>();
  const drafts = (block.block ?? []).filter((d) => d.name === 'server').flatMap((d) => serverDrafts(d, upstreams, used, report));
  for (const [name, upstream] of upstreams) {
    if (!used.has(name)) report.omit(upstream.at.line, directiveText(upstream.at), 'no server block proxies to this upstream; not imported');
  }
  return drafts;
}

function reasonFor(d: Directive): string {
  if (d.name.startsWith('ssl_') || d.name.startsWith('proxy_ssl')) return TLS;
  if (d.name === 'include') return 'included files are not followed on import: import each file on its own';
  if (['access_log', 'error_log', 'log_format'].includes(d.name)) return 'logging is configured on the appliance, not in a rule table';
  return HTTP_ONLY;
}

/** The location that proxies: `location /` if it does, else the first that does. */
function proxyingLocation(server: Directive): { location: Directive; pass: Directive } | null {
  const candidates = (server.block ?? [])
    .filter((d) => d.name === 'location' && d.block !== undefined)
    .map((location) => ({ location, pass: location.block!.find((c) => c.name === 'proxy_pass') }))
    .filter((c): c is { location: Directive; pass: Directive } => c.pass !== undefined);
  return candidates.find((c) => c.location.args.join(' ') === '/') ?? candidates[0] ?? null;
}

function serverDrafts(d: Directive, upstreams: Map<string, Upstream>, used: Set<string>, report: ImportReport): ServiceDraft[] {
  const chosen = proxyingLocation(d);
  let serverName: string | undefined;
  const listens: Directive[] = [];
  for (const child of d.block ?? []) {
    if (child.name === 'listen') listens.push(child);
    else if (child.name === 'server_name') serverName = child.args.find((n) => /^[A-Za-z0-9]/.test(n));
    else if (child.name === 'location' && child === chosen?.location) reportLocation(child, chosen.pass, report);
    else if (child.name === 'location') report.omit(child.line, directiveText(child), `${HTTP_ONLY}: only one location's backends can be imported per server`);
    else report.omit(child.line, directiveText(child), reasonFor(child));
  }
  if (chosen === null) {
    report.omit(d.line, directiveText(d), 'serves requests itself (no proxy_pass): not a service');
    return [];
  }
  const target = parseTarget(chosen.pass, report);
  if (target === null) return [];
  const upstream = target.port === null ? upstreams.get(target.host) : undefined;
  if (upstream !== undefined) used.add(upstream.name);
  const listeners: Listen[] =
    listens.length === 0 ? [{ endpoint: '0.0.0.0:80', protocol: 'tcp', at: d }] : listens.map((l) => readListen(l, report)).filter((l) => l !== null);
  return listeners.map((listen, index) => {
    const port = splitHostPort(listen.endpoint).port;
    const base = upstream?.name ?? serverName ?? `http-${port}`;
    const draft = newService(numbered(base, index), listen.endpoint, 'tcp', { line: listen.at.line, directive: directiveText(listen.at) });
    const quiet = index === 0 ? report : new ImportReport(report.file);
    if (listen.protocol === 'udp') quiet.omit(listen.at.line, 'udp', 'HTTP over UDP (QUIC) is not carried; imported as TCP');
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
      const endpoint = endpointFrom(target.host, target.port ?? '80');
      if ('problem' in endpoint) quiet.omit(chosen.pass.line, directiveText(chosen.pass), `${endpoint.problem}; not imported`);
      else draft.backends = [newBackend(endpoint.endpoint, { line: chosen.pass.line, directive: directiveText(chosen.pass) })];
    }
    draft.idleTimeoutMs = DEFAULTS.idleTimeoutMs.tcp;
    return draft;
  });
}

function parseTarget(pass: Directive, report: ImportReport): { host: string; port: string | null } | null {
  const url = pass.args[0] ?? '';
  const m = /^(https?):\/\/([^/]+)(\/.*)?$/.exec(url);
  if (m === null || url.includes('$')) {
    report.omit(pass.line, directiveText(pass), 'only proxy_pass to http://UPSTREAM or http://ADDRESS:PORT is carried; not imported');
    return null;
  }
  if (m[1] === 'https') report.omit(pass.line, directiveText(pass), 'TLS towards backends is not carried: backends get the bytes clients send');
  if (m[3] !== undefined) report.omit(pass.line, directiveText(pass), `${HTTP_ONLY}: the URI rewrite is not carried`);
  return splitHostPort(m[2]!);
}

function reportLocation(location: Directive, pass: Directive, report: ImportReport): void {
  if (location.args.join(' ') !== '/') report.omit(location.line, directiveText(location), `${HTTP_ONLY}: this location's backends take every connection`);
  for (const child of location.block ?? []) {
    if (child !== pass) report.omit(child.line, directiveText(child), reasonFor(child));
  }
}
