/**
 * `virtual_server … { … }` → service drafts (one per address of a virtual_server_group). The
 * scheduler maps one to one where IPVS and Fulcrum share it (rr, wrr, lc, wlc, twos, mh); sh is
 * read as Maglev, and schedulers with no counterpart take the closest algorithm with a report.
 */

import { endpointFrom } from '../address.js';
import { newService, numbered, type ServiceDraft } from '../draft.js';
import { ImportError } from '../errors.js';
import { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import type { Algorithm, Protocol } from '../../protocol/rules/model.js';
import { healthOf } from './health.js';
import { derivedName } from './names.js';
import { readRealServer, type RealServer } from './real-server.js';
import { count, readTiming, type Timing } from './timing.js';

export interface Vip {
  host: string;
  port: string | undefined;
  at: Directive;
}

const SCHEDULERS: Record<string, Algorithm> = {
  rr: 'round-robin',
  wrr: 'weighted-round-robin',
  lc: 'least-connections',
  wlc: 'weighted-least-connections',
  twos: 'two-choices',
  mh: 'maglev',
  sh: 'maglev',
};
const CLOSEST: Record<string, [Algorithm, string]> = {
  sed: ['weighted-least-connections', 'shortest expected delay'],
  nq: ['weighted-least-connections', 'never queue'],
  lblc: ['weighted-least-connections', 'locality-based least-connection'],
  lblcr: ['weighted-least-connections', 'locality-based least-connection with replication'],
  dh: ['round-robin', 'destination hashing'],
  fo: ['weighted-round-robin', 'weighted failover'],
  ovf: ['weighted-round-robin', 'weighted overflow'],
};
const VS_REASONS: Record<string, string> = {
  persistence_granularity: 'persistence is per client address in a rule table; a netmask granularity is not carried',
  persistence_engine: 'persistence engines (SIP) are not carried',
  quorum: 'quorum is not carried: a service stays up while any backend can take flows',
  hysteresis: 'quorum is not carried',
  quorum_up: 'quorum scripts are not carried',
  quorum_down: 'quorum scripts are not carried',
  ha_suspend: 'not applicable: Fulcrum appliances own their addresses',
  omega: 'shutdown notifications are not carried',
  alpha: "not carried: the state of a backend at start-up is Fulcrum's own",
  warmup: 'not carried: Fulcrum spreads its first probes itself',
  inhibit_on_failure: 'not carried: a failed Fulcrum backend is taken out, not kept with weight 0',
  sorry_server_inhibit: 'not carried: the fallback is used or not, it has no weight',
  sorry_server_lvs_method: 'the forwarding method is not carried: a Fulcrum appliance proxies every flow',
  ops: 'one-packet scheduling is not carried: a UDP session is balanced as a whole and kept until its idle timeout',
  virtualhost: 'the Host header of HTTP checks is not carried',
  smtp_alert: 'alerts are not part of a rule table',
  snmp_name: 'not carried: a rule table names services itself',
  'mh-fallback': 'not carried: Maglev in Fulcrum always skips backends that cannot take the flow',
  'sh-fallback': 'not carried: Maglev in Fulcrum always skips backends that cannot take the flow',
  ip_family: 'not applicable: the address family follows the addresses',
};

export function virtualServerDrafts(
  d: Directive,
  vips: readonly Vip[],
  name: string | null,
  idle: Record<Protocol, number>,
  report: ImportReport,
): ServiceDraft[] {
  let protocol: Protocol | null = null;
  let scheduler: Directive | undefined;
  let hashPort = false;
  let persistenceMs: number | null = null;
  let sorry: Directive | undefined;
  const timing: Timing = {};
  const realServers: Directive[] = [];
  for (const child of d.block ?? []) {
    if (readTiming(timing, child, report)) continue;
    switch (child.name) {
      case 'lb_algo':
      case 'lvs_sched':
        scheduler = child;
        break;
      case 'lb_kind':
      case 'lvs_method':
        if ((child.args[0] ?? '').toUpperCase() !== 'NAT') {
          report.omit(
            child.line,
            directiveText(child),
            'direct routing and tunnelling are not carried: a Fulcrum appliance proxies every flow, replies included, and backends see its address',
          );
        }
        break;
      case 'protocol':
        protocol = protocolOf(child, report);
        break;
      case 'persistence_timeout':
        persistenceMs = child.args.length === 0 ? 360_000 : count(child, report) * 1_000;
        break;
      case 'sorry_server':
        sorry = child;
        break;
      case 'real_server':
        realServers.push(child);
        break;
      case 'mh-port':
      case 'sh-port':
        hashPort = true;
        break;
      default:
        report.omit(
          child.line,
          directiveText(child),
          VS_REASONS[child.name] ?? (/^flag-[123]$/.test(child.name) ? 'scheduler flags are not carried' : 'not carried over: a rule table has no equivalent'),
        );
    }
  }
  if (protocol === null) {
    report.omit(d.line, directiveText(d), 'no "protocol": keepalived 2.2 would default to UDP and older releases to TCP; imported as TCP');
    protocol = 'tcp';
  }
  const drafts: ServiceDraft[] = [];
  vips.forEach((vip, index) => {
    if (vip.port === undefined || vip.port === '0') {
      report.omit(vip.at.line, directiveText(vip.at), 'a virtual server for every port is not carried: a service listens on one port');
      return;
    }
    const listen = endpointFrom(vip.host, vip.port);
    if ('problem' in listen) {
      report.omit(vip.at.line, directiveText(vip.at), `${listen.problem}; not imported`);
      return;
    }
    const serviceName = name === null ? derivedName(listen.endpoint, protocol!) : numbered(name, index);
    const draft = newService(serviceName, listen.endpoint, protocol!, { line: vip.at.line, directive: directiveText(vip.at) });
    const servers = realServers
      .map((rs) => readRealServer(rs, Number(vip.port), timing, index === 0 ? report : silent(report)))
      .filter((s): s is RealServer => s !== null);
    draft.backends = servers.map((s) => s.backend);
    const algorithm = algorithmOf(scheduler, hashPort, index === 0 ? report : silent(report));
    draft.algorithm = algorithm.algorithm;
    draft.hashKey = algorithm.hashKey;
    draft.health = healthOf(servers, index === 0 ? report : silent(report));
    draft.persistence = persistenceMs === null ? null : { type: 'source-ip', timeoutMs: persistenceMs };
    draft.idleTimeoutMs = idle[protocol!];
    if (sorry !== undefined) {
      const fallback = endpointFrom(sorry.args[0] ?? '', sorry.args[1] ?? vip.port);
      if ('problem' in fallback) report.omit(sorry.line, directiveText(sorry), `${fallback.problem}; no fallback imported`);
      else draft.fallback = { address: fallback.endpoint, origin: { line: sorry.line, directive: directiveText(sorry) } };
    }
    drafts.push(draft);
  });
  return drafts;
}

/** The same report entries for every address of a group would only repeat themselves: later ones go to a scratch report. */
function silent(report: ImportReport): ImportReport {
  return new ImportReport(report.file);
}

function protocolOf(d: Directive, report: ImportReport): Protocol | null {
  const value = (d.args[0] ?? '').toUpperCase();
  if (value === 'TCP' || value === 'UDP') return value.toLowerCase() as Protocol;
  if (value === '') throw new ImportError(report.file, d.line, d.column, '"protocol" needs TCP, UDP or SCTP');
  report.omit(d.line, directiveText(d), `${value} is not carried: a service is TCP or UDP; imported as TCP`);
  return 'tcp';
}

function algorithmOf(d: Directive | undefined, hashPort: boolean, report: ImportReport): { algorithm: Algorithm; hashKey: 'source-ip' | '5-tuple' } {
  const name = d?.args[0] ?? 'wlc';
  const hashKey = hashPort ? '5-tuple' : 'source-ip';
  const direct = SCHEDULERS[name];
  if (direct !== undefined) {
    if (name === 'sh') report.omit(d!.line, directiveText(d!), 'source hashing (sh) remaps clients when servers change; Maglev, imported here, moves few');
    return { algorithm: direct, hashKey };
  }
  const closest = CLOSEST[name];
  if (closest !== undefined) {
    report.omit(d!.line, directiveText(d!), `${closest[1]} (${name}) has no Fulcrum counterpart; ${closest[0]} is used`);
    return { algorithm: closest[0], hashKey: 'source-ip' };
  }
  report.omit(d!.line, directiveText(d!), `unknown scheduler "${name}" (keepalived would fall back to wlc); weighted-least-connections is used`);
  return { algorithm: 'weighted-least-connections', hashKey: 'source-ip' };
}
