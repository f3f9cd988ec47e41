/**
 * A rule table → keepalived (LVS/IPVS) configuration that `keepalived -t` accepts: a
 * virtual_server per service (a one-address virtual_server_group when its name is not the one
 * keepalived's addresses would give it), real servers with their checker, the fallback as
 * sorry_server, idle timeouts as global lvs_timeouts. No VRRP: failover is not in a rule table.
 */

import { familyOf, hostOf, portOf } from '../address.js';
import { formatSeconds } from '../durations.js';
import { ExportReport } from '../report.js';
import { DEFAULTS, type Protocol, type RuleTable, type Service } from '../../protocol/rules/model.js';
import { derivedName } from './names.js';
import { quoteValue } from './tokenize.js';

const SCHEDULERS: Record<Service['algorithm'], string> = {
  'round-robin': 'rr',
  'weighted-round-robin': 'wrr',
  'least-connections': 'lc',
  'weighted-least-connections': 'wlc',
  'two-choices': 'twos',
  maglev: 'mh',
  'least-response-time': 'wlc',
};

export function renderKeepalived(table: RuleTable): { text: string; report: ExportReport } {
  const report = new ExportReport();
  const blocks: string[] = [`# Exported from a Fulcrum rule table (${table.services.length} service${table.services.length === 1 ? '' : 's'}).`];
  const timeouts = lvsTimeouts(table, report);
  if (timeouts !== '') blocks.push(`global_defs {\n    lvs_timeouts ${timeouts}\n}`);
  for (const service of table.services) {
    const block = virtualServer(service, report);
    if (block !== null) blocks.push(block);
  }
  return { text: `${blocks.join('\n\n')}\n`, report };
}

/** Whole seconds, rounded up (keepalived counts these in seconds); reported when that changes the value. */
function seconds(ms: number, service: string, field: string, report: ExportReport): number {
  const whole = Math.ceil(ms / 1_000);
  if (whole * 1_000 !== ms) report.omit(service, field, `keepalived counts this in whole seconds; ${whole}s is written`);
  return whole;
}

/** IPVS timeouts are per protocol for the whole host: one value each, the first service's. */
function lvsTimeouts(table: RuleTable, report: ExportReport): string {
  const parts: string[] = [];
  for (const protocol of ['tcp', 'udp'] as Protocol[]) {
    const services = table.services.filter((s) => s.protocol === protocol);
    const first = services[0];
    if (first === undefined) continue;
    for (const other of services.slice(1)) {
      if (other.idleTimeoutMs !== first.idleTimeoutMs) {
        report.omit(other.name, 'idle-timeout', `IPVS has one ${protocol.toUpperCase()} timeout for the whole host; ${first.name}'s is written`);
      }
    }
    parts.push(`${protocol} ${seconds(first.idleTimeoutMs, first.name, 'idle-timeout', report)}`);
  }
  return parts.join(' ');
}

function virtualServer(s: Service, report: ExportReport): string | null {
  const family = familyOf(s.listen);
  const sameFamily = (address: string, field: string): boolean => {
    if (familyOf(address) === family) return true;
    report.omit(s.name, field, `IPVS cannot forward between IPv${family} and IPv${familyOf(address)} without tunnelling; not exported`);
    return false;
  };
  const backends = s.backends.filter((b) => sameFamily(b.address, `backends[${b.address}]`));
  const primaries = backends.filter((b) => {
    const field = `backends[${b.address}]`;
    if (b.backup) report.omit(s.name, `${field}.backup`, 'keepalived has no backup real servers (only one sorry_server); this backup is not exported');
    else if (b.state === 'disabled') report.omit(s.name, `${field}.state`, 'keepalived cannot list a real server that takes nothing; not exported');
    return !b.backup && b.state !== 'disabled';
  });
  if (primaries.length === 0) {
    report.omit(s.name, 'backends', 'no backend keepalived can express remains; the service is not exported');
    return null;
  }
  if (primaries.every((b) => b.weight === 0 || b.state === 'drain')) {
    report.omit(
      s.name,
      'backends',
      'every backend takes no new flows (weight 0 or drain): keepalived refuses a virtual server whose quorum cannot be met; the service is not exported',
    );
    return null;
  }
  const header =
    s.name === derivedName(s.listen, s.protocol) ? [] : [`virtual_server_group ${s.name} {`, `    ${hostOf(s.listen)} ${portOf(s.listen)}`, '}', ''];
  const lines = [...header, header.length === 0 ? `virtual_server ${hostOf(s.listen)} ${portOf(s.listen)} {` : `virtual_server group ${s.name} {`];
  lines.push(`    lb_algo ${SCHEDULERS[s.algorithm]}`, '    lb_kind NAT', `    protocol ${s.protocol.toUpperCase()}`);
  if (s.algorithm === 'least-response-time') report.omit(s.name, 'algorithm', 'IPVS has no least-response-time scheduler; wlc, the closest, is written');
  if (s.algorithm === 'maglev') {
    if (s.hashKey === '5-tuple') lines.push('    mh-port');
    if (s.maglevTableSize !== DEFAULTS.maglevTableSize)
      report.omit(s.name, 'maglev-table-size', 'the IPVS mh table size is fixed when the kernel is built (65537 by default)');
  }
  if (s.persistence !== null) lines.push(`    persistence_timeout ${seconds(s.persistence.timeoutMs, s.name, 'persistence.timeout', report)}`);
  const h = s.health;
  if (h !== null) {
    lines.push(`    delay_loop ${formatSeconds(h.intervalMs)}`);
    if (h.rise !== 1) report.omit(s.name, 'health.rise', 'keepalived brings a real server back after one good check; rise is written as 1');
  }
  if (s.fallback !== null && sameFamily(s.fallback, 'fallback')) lines.push(`    sorry_server ${hostOf(s.fallback)} ${portOf(s.fallback)}`);
  for (const b of primaries) {
    lines.push(`    real_server ${hostOf(b.address)} ${portOf(b.address)} {`, `        weight ${b.weight}`);
    if (b.state === 'drain') report.omit(s.name, `backends[${b.address}].state`, 'keepalived has no drain state; written as weight 0 (no new flows)');
    if (b.state === 'drain') lines[lines.length - 1] = '        weight 0';
    if (b.maxConnections > 0) lines.push(`        uthreshold ${b.maxConnections}`);
    if (h !== null) lines.push(...checker(s, report));
    lines.push('    }');
  }
  lines.push('}');
  return lines.join('\n');
}

function checker(s: Service, report: ExportReport): string[] {
  const h = s.health!;
  const timing = [
    `        connect_timeout ${formatSeconds(h.timeoutMs)}`,
    `        retry ${h.fall - 1}`,
    // Retries one interval apart, as Fulcrum probes: fall failures take fall × interval.
    `        delay_before_retry ${formatSeconds(h.intervalMs)}`,
  ];
  if (h.type === 'tcp') return ['        TCP_CHECK {', ...timing.map((l) => `    ${l}`), '        }'];
  let path = quoteValue(h.path);
  if (path === null) {
    report.omit(s.name, 'health.path', 'keepalived cannot read a path containing a double quote; "/" is written');
    path = '/';
  }
  return [
    '        HTTP_GET {',
    '            url {',
    `                path ${path}`,
    `                status_code ${h.expectStatus[0]}-${h.expectStatus[1]}`,
    '            }',
    ...timing.map((l) => `    ${l}`),
    '        }',
  ];
}
