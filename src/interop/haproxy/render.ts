/**
 * A rule table → HAProxy configuration that `haproxy -c` accepts: one `listen` section per TCP
 * service (HAProxy 2.6 proxies no UDP), persistence as a stick-table on the client address, the
 * fallback as a sorry backend taken when the pool has no usable server, backups shared with
 * `option allbackups`. What HAProxy cannot say is reported, never guessed silently.
 */

import { formatHaproxyDuration as t } from '../durations.js';
import { ExportReport } from '../report.js';
import { exportWeights } from '../weights.js';
import type { RuleTable, Service } from '../../protocol/rules/model.js';
import { DEFAULTS } from '../../protocol/rules/model.js';
import { quoteWord } from './tokenize.js';

/** HAProxy refuses server weights above 256. */
export const HAPROXY_MAX_WEIGHT = 256;
/** Written in defaults so HAProxy does not warn about a missing connect timeout; a rule table has none. */
export const CONNECT_TIMEOUT = '5s';

export function fallbackBackendName(service: string): string {
  // ':' is valid in HAProxy names and never in Fulcrum's, so this cannot collide with a service.
  return `${service}:fallback`;
}

export function renderHaproxy(table: RuleTable): { text: string; report: ExportReport } {
  const report = new ExportReport();
  const sections: string[] = [`# Exported from a Fulcrum rule table (${table.services.length} service${table.services.length === 1 ? '' : 's'}).`];
  sections.push(['defaults', '    mode tcp', `    timeout connect ${CONNECT_TIMEOUT}`].join('\n'));
  for (const service of table.services) {
    if (service.protocol === 'udp') {
      report.omit(service.name, 'protocol', 'HAProxy 2.6 proxies TCP only; this UDP service is not exported');
      continue;
    }
    sections.push(...serviceSections(service, report));
  }
  return { text: `${sections.join('\n\n')}\n`, report };
}

function serviceSections(s: Service, report: ExportReport): string[] {
  const lines = [`listen ${s.name}`, `    bind ${s.listen}`, ...balance(s, report)];
  lines.push(`    timeout client ${t(s.idleTimeoutMs)}`, `    timeout server ${t(s.idleTimeoutMs)}`);
  if (s.persistence !== null) {
    const type = s.listen.startsWith('[') ? 'ipv6' : 'ip';
    lines.push(`    stick-table type ${type} size 1m expire ${t(s.persistence.timeoutMs)}`, '    stick on src');
  }
  if (s.backends.some((b) => b.backup)) lines.push('    option allbackups');
  const h = s.health;
  if (h !== null) {
    if (h.type === 'http') {
      lines.push(`    option httpchk GET ${quoteWord(h.path)}`, `    http-check expect status ${h.expectStatus[0]}-${h.expectStatus[1]}`);
    }
    lines.push(`    timeout check ${t(h.timeoutMs)}`, `    default-server inter ${t(h.intervalMs)} rise ${h.rise} fall ${h.fall}`);
  }
  if (s.fallback !== null) lines.push(`    use_backend ${fallbackBackendName(s.name)} if { nbsrv(${s.name}) eq 0 }`);
  const weights = exportWeights(s, HAPROXY_MAX_WEIGHT, report);
  s.backends.forEach((b, i) => {
    const words = [`    server s${i + 1} ${b.address}`];
    let weight = weights[i]!;
    if (b.state === 'drain') {
      report.omit(
        s.name,
        `backends[${b.address}].state`,
        'HAProxy has no drain state in its configuration; written as weight 0 (no new flows), which reads back as state enabled, weight 0',
      );
      weight = 0;
    }
    if (weight !== DEFAULTS.weight) words.push(`weight ${weight}`);
    if (b.maxConnections > 0) words.push(`maxconn ${b.maxConnections}`);
    if (b.backup) words.push('backup');
    if (b.state === 'disabled') words.push('disabled');
    if (h !== null) words.push('check');
    lines.push(words.join(' '));
  });
  const sections = [lines.join('\n')];
  if (s.fallback !== null) {
    sections.push([`backend ${fallbackBackendName(s.name)}`, `    timeout server ${t(s.idleTimeoutMs)}`, `    server fallback ${s.fallback}`].join('\n'));
  }
  return sections;
}

function balance(s: Service, report: ExportReport): string[] {
  switch (s.algorithm) {
    case 'round-robin':
    case 'weighted-round-robin':
      return ['    balance roundrobin'];
    case 'least-connections':
    case 'weighted-least-connections':
      return ['    balance leastconn'];
    case 'two-choices':
      return ['    balance random(2)'];
    case 'least-response-time':
      report.omit(s.name, 'algorithm', 'HAProxy has no least-response-time balancing; leastconn is the closest and is written instead');
      return ['    balance leastconn'];
    case 'maglev':
      if (s.hashKey !== 'source-ip')
        report.omit(s.name, 'hash-key', 'HAProxy hashes the client address only in TCP mode; 5-tuple is written as balance source');
      if (s.maglevTableSize !== DEFAULTS.maglevTableSize) report.omit(s.name, 'maglev-table-size', "HAProxy's consistent hash has no table size to set");
      return ['    balance source', '    hash-type consistent'];
  }
}
