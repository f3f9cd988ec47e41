/**
 * `upstream NAME { … }` → backends and algorithm. nginx's default and least_conn are weighted
 * (equal weights read as the plain variants, see draft.ts); `random two` is power of two
 * choices; `hash $remote_addr consistent` is consistent hashing on the client address (Maglev),
 * with `$remote_port` on the 5-tuple. Passive checks (max_fails, fail_timeout) are reported:
 * Fulcrum's health checks are active probes.
 */

import { endpointFrom, splitHostPort } from '../address.js';
import { byWeights, newBackend, type BackendDraft } from '../draft.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import type { Algorithm, HashKey } from '../../protocol/rules/model.js';

export interface Upstream {
  name: string;
  at: Directive;
  method: Directive | undefined;
  servers: Directive[];
  zone: boolean;
  /** nginx's implicit port for servers written without one (80 in http, none in stream). */
  defaultPort: number | null;
}

const UPSTREAM_REASONS: Record<string, string> = {
  keepalive: 'HTTP-only: keep-alive connections to backends are not carried',
  keepalive_timeout: 'HTTP-only: keep-alive connections to backends are not carried',
  keepalive_requests: 'HTTP-only: keep-alive connections to backends are not carried',
  keepalive_time: 'HTTP-only: keep-alive connections to backends are not carried',
  sticky: 'session persistence by cookie or route is not carried (persistence: source-ip is the rule-table equivalent)',
  ntlm: 'HTTP-only: NTLM connection binding is not carried',
  queue: 'queueing is not carried: a backend at its max-connections is skipped',
  resolver: 'a rule table holds IP addresses: names are not resolved',
  resolver_timeout: 'a rule table holds IP addresses: names are not resolved',
  state: 'not carried: a state file belongs to the nginx process',
};
const METHODS = ['least_conn', 'hash', 'ip_hash', 'random', 'least_time'];

export function readUpstream(d: Directive, defaultPort: number | null, report: ImportReport): Upstream {
  const name = d.args[0];
  if (name === undefined) throw new ImportError(report.file, d.line, d.column, '"upstream" needs a name');
  const upstream: Upstream = { name, at: d, method: undefined, servers: [], zone: false, defaultPort };
  for (const child of d.block ?? []) {
    if (child.name === 'server') upstream.servers.push(child);
    else if (child.name === 'zone') upstream.zone = true;
    else if (METHODS.includes(child.name)) upstream.method = child;
    else report.omit(child.line, directiveText(child), UPSTREAM_REASONS[child.name] ?? 'not carried over: a rule table has no equivalent');
  }
  return upstream;
}

export function upstreamBackends(upstream: Upstream, report: ImportReport): BackendDraft[] {
  const backends: BackendDraft[] = [];
  for (const server of upstream.servers) {
    const backend = readServer(server, upstream, report);
    if (backend !== null) backends.push(backend);
  }
  return backends;
}

function readServer(d: Directive, upstream: Upstream, report: ImportReport): BackendDraft | null {
  const addressWord = d.words[1];
  if (addressWord === undefined) throw new ImportError(report.file, d.line, d.column, '"server" needs an address');
  const text = addressWord.text;
  if (text.startsWith('unix:')) {
    report.omit(d.line, directiveText(d), 'UNIX sockets are not carried: backends are IP addresses; server not imported');
    return null;
  }
  const { host, port } = splitHostPort(text);
  const effectivePort = port ?? upstream.defaultPort;
  if (effectivePort === null) throw new ImportError(report.file, addressWord.line, addressWord.column, `no port in upstream server "${text}"`);
  const endpoint = endpointFrom(host, effectivePort);
  if ('problem' in endpoint) {
    report.omit(d.line, directiveText(d), `${endpoint.problem}; server not imported`);
    return null;
  }
  const backend = newBackend(endpoint.endpoint, { line: d.line, directive: directiveText(d) });
  const passive: string[] = [];
  for (const word of d.words.slice(2)) {
    const [key = '', value] = word.text.split('=', 2) as [string, string | undefined];
    const number = () => {
      if (value === undefined || !/^[0-9]+$/.test(value)) throw new ImportError(report.file, word.line, word.column, `"${key}=" needs a whole number`);
      return Number(value);
    };
    if (key === 'weight') backend.weight = number();
    else if (key === 'max_conns') backend.maxConnections = number();
    else if (key === 'backup') backend.backup = true;
    else if (key === 'down') backend.state = 'disabled';
    else if (key === 'drain') backend.state = 'drain';
    else if (key === 'max_fails' || key === 'fail_timeout') passive.push(word.text);
    else
      report.omit(
        d.line,
        word.text,
        key === 'resolve' || key === 'service'
          ? 'names are not resolved: a rule table holds IP addresses'
          : key === 'slow_start'
            ? 'not carried: a recovered backend gets its full weight at once'
            : 'not carried over: a rule table has no equivalent',
      );
  }
  const failsOff = passive.includes('max_fails=0');
  if (passive.length > 0 && !failsOff) {
    report.omit(
      d.line,
      passive.join(' '),
      'passive failure detection is not carried: add an active health check to the service if backends should be taken out',
    );
  }
  if (backend.maxConnections > 0 && !upstream.zone) {
    report.omit(
      d.line,
      `max_conns=${backend.maxConnections}`,
      'without a "zone" nginx counts max_conns per worker process; the rule table limits the whole appliance',
    );
  }
  return backend;
}

export function upstreamAlgorithm(upstream: Upstream, weights: readonly number[], report: ImportReport): { algorithm: Algorithm; hashKey: HashKey } {
  const rr = byWeights(weights, 'round-robin', 'weighted-round-robin');
  const d = upstream.method;
  if (d === undefined) return { algorithm: rr, hashKey: 'source-ip' };
  const note = (reason: string) => report.omit(d.line, directiveText(d), reason);
  switch (d.name) {
    case 'least_conn':
      return { algorithm: byWeights(weights, 'least-connections', 'weighted-least-connections'), hashKey: 'source-ip' };
    case 'random':
      if (d.args[0] !== 'two') {
        note(`weighted random choice has no Fulcrum counterpart; ${rr} gives the same shares`);
        return { algorithm: rr, hashKey: 'source-ip' };
      }
      if (d.args[1] !== undefined && d.args[1] !== 'least_conn') note('the second choice is made by fewest connections in Fulcrum');
      return { algorithm: 'two-choices', hashKey: 'source-ip' };
    case 'least_time':
      if (d.args[0] !== 'connect') note("Fulcrum's least-response-time measures connect times only");
      return { algorithm: 'least-response-time', hashKey: 'source-ip' };
    case 'ip_hash':
      note('ip_hash hashes the first three octets of an IPv4 address and is not consistent; Maglev on the whole client address is used');
      return { algorithm: 'maglev', hashKey: 'source-ip' };
    default: {
      const key = d.args[0] ?? '';
      const byClient = /\$(binary_)?remote_addr/.test(key);
      const withPort = byClient && key.includes('$remote_port');
      if (!byClient) note(`hashing on "${key}" is not carried; Maglev on the client address is used`);
      if (d.args[1] !== 'consistent') note('this hash is not consistent (most clients move when a server changes); Maglev, imported here, moves few');
      return { algorithm: 'maglev', hashKey: withPort ? '5-tuple' : 'source-ip' };
    }
  }
}
