/**
 * One frontend or listen section (with its defaults applied) → one service draft per listen
 * address, named NAME, NAME-2, …: the pool from its backend, the algorithm, the health check,
 * persistence from `stick on src`, the idle timeout from `timeout client/server/tunnel`, and the
 * sorry backend as fallback. Everything that does not fit is reported where it was written.
 */

import { endpointFrom, splitHostPort } from '../address.js';
import { newBackend, newService, numbered, type BackendDraft, type ServiceDraft } from '../draft.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import { DEFAULTS, type Persistence } from '../../protocol/rules/model.js';
import { formatDuration } from '../../protocol/rules/duration.js';
import { algorithmOf } from './balance.js';
import { readBind, type Listener } from './bind.js';
import { healthOf, type CheckedServer } from './health.js';
import type { ProxyConfig } from './proxy.js';
import { routeOf } from './routing.js';
import { mergeParams, type ServerLine } from './server.js';

const HTTP_MODE = 'HTTP processing (routing, header rules, keep-alive, per-request balancing) is not carried: the service balances TCP connections';
const WEEK_MS = 7 * 86_400_000;

export function servicesOf(front: ProxyConfig, backends: ReadonlyMap<string, ProxyConfig>, used: Set<string>, report: ImportReport): ServiceDraft[] {
  const header = front.section.header;
  const here = { line: header.line, directive: directiveText(header) };
  if (front.disabled !== undefined) {
    report.omit(front.disabled.line, `disabled (${directiveText(header)})`, 'the proxy is disabled; not imported');
    return [];
  }
  // A listen without bind is only a pool for other frontends; map.ts reports it if none uses it.
  if (front.kind === 'listen' && front.binds.length === 0) return [];
  const route = routeOf(front, report);
  for (const { backend } of route.byAcl) used.add(backend);
  const listeners = front.binds.flatMap((d) => readBind(d, report));
  const pool = route.pool === null ? undefined : backends.get(route.pool);
  if (route.pool !== null && pool === undefined) {
    const at = route.poolAt?.words[1] ?? header.words[0]!;
    throw new ImportError(report.file, at.line, at.column, `backend "${route.pool}" is not defined`);
  }
  if (pool !== undefined) used.add(pool.name);
  if (pool === undefined || pool.servers.length === 0) {
    const stats = (pool ?? front).stats.length > 0 || front.stats.length > 0;
    report.omit(here.line, here.directive, stats ? 'a statistics page, not a service' : 'no backend with servers: not a service');
    return [];
  }
  if (listeners.length === 0) {
    report.omit(here.line, here.directive, 'no listen address that a rule table can hold: not a service');
    return [];
  }
  for (const stats of [...front.stats, ...(pool === front ? [] : pool.stats)]) {
    report.omit(stats.line, directiveText(stats), 'the statistics page is not carried');
  }
  for (const proxy of pool === front ? [front] : [front, pool]) {
    const mode = proxy.mode;
    if (mode !== undefined && mode.value !== 'tcp') {
      report.omit(
        mode.at.line,
        directiveText(mode.at),
        mode.value === 'http' ? HTTP_MODE : `mode ${mode.value} is not carried: the service balances TCP connections`,
      );
    }
  }
  const fallback = fallbackOf(route.fallback, backends, used, report);
  return listeners.map((listener, index) => {
    const draft = newService(numbered(front.name, index), listener.endpoint, 'tcp', { line: listener.at.line, directive: directiveText(listener.at) });
    fill(draft, listener, front, pool, report);
    if (fallback !== null) {
      const address = addressOf(fallback.server, portOfListener(listener), report);
      if (address !== null) draft.fallback = { address, origin: { line: fallback.at.line, directive: directiveText(fallback.at) } };
    }
    return draft;
  });
}

function portOfListener(listener: Listener): string {
  return splitHostPort(listener.endpoint).port ?? '';
}

function fill(draft: ServiceDraft, listener: Listener, front: ProxyConfig, pool: ProxyConfig, report: ImportReport): void {
  const listenPort = portOfListener(listener);
  const checked: CheckedServer[] = [];
  for (const server of pool.servers) {
    const params = mergeParams(pool.defaultServer, server.params);
    const address = addressOf(server, listenPort, report);
    if (address === null) continue;
    const backend: BackendDraft = newBackend(address, { line: server.at.line, directive: directiveText(server.at) });
    backend.weight = params.weight ?? DEFAULTS.weight;
    backend.maxConnections = params.maxconn ?? DEFAULTS.maxConnections;
    backend.backup = params.backup ?? false;
    backend.state = params.disabled === true ? 'disabled' : 'enabled';
    draft.backends.push(backend);
    checked.push({ line: server, params, port: Number(splitHostPort(address).port) });
  }
  const backups = draft.backends.filter((b) => b.backup);
  if (backups.length > 1 && pool.allBackups === undefined) {
    const second = backups[1]!.origin;
    report.omit(second.line, second.directive, 'without "option allbackups" HAProxy uses only the first backup; Fulcrum shares flows among all backups');
  }
  const { algorithm, hashKey } = algorithmOf(
    pool,
    draft.backends.map((b) => b.weight),
    report,
  );
  draft.algorithm = algorithm;
  draft.hashKey = hashKey;
  draft.health = healthOf(pool, checked, report);
  draft.persistence = persistenceOf(pool, report);
  draft.idleTimeoutMs = idleOf(front, pool, report);
}

/** The server's endpoint: its port, or the listener's when it has none (HAProxy's rule). */
function addressOf(server: ServerLine, listenPort: string, report: ImportReport): string | null {
  const text = server.address.text.replace(/^(ipv4|ipv6|tcp|tcp4|tcp6)@/, '');
  const at = server.at;
  if (text.startsWith('/') || /^[a-z0-9]+@/.test(text) || text.includes('$')) {
    report.omit(at.line, directiveText(at), 'only IP addresses are carried (UNIX sockets and environment variables are not); server not imported');
    return null;
  }
  const { host, port } = splitHostPort(text);
  if (port !== null && /^[+-]/.test(port)) {
    report.omit(at.line, directiveText(at), "a port relative to the client's is not carried; server not imported");
    return null;
  }
  const result = endpointFrom(host, port === null || port === '' ? listenPort : port);
  if ('problem' in result) {
    report.omit(at.line, directiveText(at), `${result.problem}; server not imported`);
    return null;
  }
  return result.endpoint;
}

function fallbackOf(route: { backend: string; at: Directive } | null, backends: ReadonlyMap<string, ProxyConfig>, used: Set<string>, report: ImportReport) {
  if (route === null) return null;
  const sorry = backends.get(route.backend);
  if (sorry === undefined) {
    const word = route.at.words[1]!;
    throw new ImportError(report.file, word.line, word.column, `backend "${route.backend}" is not defined`);
  }
  used.add(sorry.name);
  const [server, ...more] = sorry.servers;
  if (server === undefined) {
    report.omit(route.at.line, directiveText(route.at), 'the sorry backend has no server; no fallback imported');
    return null;
  }
  if (more.length > 0)
    report.omit(more[0]!.at.line, directiveText(more[0]!.at), "a fallback is one address: only the sorry backend's first server is imported");
  return { server, at: route.at };
}

function persistenceOf(pool: ProxyConfig, report: ImportReport): Persistence | null {
  const table = pool.stickTable;
  const rule = pool.stickSource;
  if (table === undefined && rule === undefined) return null;
  if (table === undefined || rule === undefined) {
    const at = (table?.at ?? rule)!;
    report.omit(
      at.line,
      directiveText(at),
      table === undefined
        ? '"stick on src" needs a stick-table in the same backend; no persistence imported'
        : 'a stick-table without "stick on src" is not persistence; not carried',
    );
    return null;
  }
  if (table.value.type !== 'ip' && table.value.type !== 'ipv6') {
    report.omit(table.at.line, directiveText(table.at), `a ${table.value.type} table cannot hold client addresses; no persistence imported`);
    return null;
  }
  if (table.value.expireMs === null) {
    report.omit(
      table.at.line,
      directiveText(table.at),
      `without "expire" entries stay until the table is full; persistence lasts ${formatDuration(WEEK_MS)}, the longest a rule table allows`,
    );
  }
  return { type: 'source-ip', timeoutMs: table.value.expireMs ?? WEEK_MS };
}

function idleOf(front: ProxyConfig, pool: ProxyConfig, report: ImportReport): number {
  const tunnel = pool.timeouts.tunnel ?? front.timeouts.tunnel;
  if (tunnel !== undefined) return tunnel.value;
  const client = front.timeouts.client;
  const server = pool.timeouts.server;
  if (client !== undefined && server !== undefined && client.value !== server.value) {
    const longer = client.value > server.value ? client : server;
    report.omit(
      longer.at.line,
      directiveText(longer.at),
      `client and server idle timeouts differ; a service has one idle timeout, the shorter (${formatDuration(Math.min(client.value, server.value))}) is used`,
    );
  }
  const values = [client, server].filter((t) => t !== undefined).map((t) => t.value);
  if (values.length > 0) return Math.min(...values);
  const header = front.section.header;
  report.omit(
    header.line,
    directiveText(header),
    `no timeout client/server: HAProxy would never close idle connections; Fulcrum's default idle timeout ${formatDuration(DEFAULTS.idleTimeoutMs.tcp)} is used`,
  );
  return DEFAULTS.idleTimeoutMs.tcp;
}
