/**
 * A keepalived configuration → service drafts: every virtual_server (through its group, if it
 * names one) becomes services; lvs_timeouts in global_defs give the idle timeouts (IPVS's own
 * defaults, 15 min TCP and 5 min UDP, when absent). VRRP and the rest of the host setup are
 * failover and networking, not rule-table content: reported, one entry per block.
 */

import type { ServiceDraft } from '../draft.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import type { Protocol } from '../../protocol/rules/model.js';
import { parseKeepalived } from './parse.js';
import { count } from './timing.js';
import { virtualServerDrafts, type Vip } from './virtual-server.js';

/** IPVS's timeouts when nothing sets them (ipvsadm --set): 900 s established TCP, 300 s UDP. */
export const IPVS_IDLE_MS: Record<Protocol, number> = { tcp: 900_000, udp: 300_000 };

const FAILOVER = 'failover (VRRP) is not part of a rule table: configure it on the appliances';
const BLOCK_REASONS: Record<string, string> = {
  vrrp_instance: FAILOVER,
  vrrp_sync_group: FAILOVER,
  vrrp_script: FAILOVER,
  vrrp_track_process: FAILOVER,
  vrrp_track_file: FAILOVER,
  track_file: FAILOVER,
  track_process: FAILOVER,
  garp_group: FAILOVER,
  bfd_instance: FAILOVER,
  linkbeat_interfaces: FAILOVER,
  static_ipaddress: 'not applicable: host network setup',
  static_routes: 'not applicable: host network setup',
  static_rules: 'not applicable: host network setup',
  static_track_group: FAILOVER,
  SSL: 'TLS settings of SSL_GET checks are not carried',
  include: 'included files are not followed on import: import each file on its own',
  net_namespace: 'not applicable: host network setup',
  instance: 'not applicable: a setting of the keepalived process',
};

export function mapKeepalived(text: string, report: ImportReport): ServiceDraft[] {
  const top = parseKeepalived(text, report.file);
  const idle = { ...IPVS_IDLE_MS };
  const groups = new Map<string, Vip[]>();
  for (const d of top) {
    if (d.name === 'global_defs') readGlobal(d, idle, report);
    else if (d.name === 'virtual_server_group') groups.set(nameArg(d, report), groupVips(d, report));
  }
  const drafts: ServiceDraft[] = [];
  for (const d of top) {
    if (d.name === 'global_defs' || d.name === 'virtual_server_group') continue;
    if (d.name === 'virtual_server') {
      drafts.push(...virtualServer(d, groups, idle, report));
    } else if (d.name.startsWith('@') || d.name.startsWith('$')) {
      report.omit(d.line, directiveText(d), 'conditional configuration and parameters are not evaluated on import');
    } else {
      report.omit(d.line, directiveText(d), BLOCK_REASONS[d.name] ?? 'not carried over: a rule table has no equivalent');
    }
  }
  return drafts;
}

function virtualServer(d: Directive, groups: Map<string, Vip[]>, idle: Record<Protocol, number>, report: ImportReport): ServiceDraft[] {
  const [first, second] = d.args;
  if (first === undefined) throw new ImportError(report.file, d.line, d.column, '"virtual_server" needs an address and port, "fwmark N" or "group NAME"');
  if (d.block === undefined) throw new ImportError(report.file, d.line, d.column, '"virtual_server" needs a { … } block');
  if (first === 'fwmark') {
    report.omit(d.line, directiveText(d), 'firewall-mark services have no address and port: not carried');
    return [];
  }
  if (first === 'group') {
    const vips = second === undefined ? undefined : groups.get(second);
    if (vips === undefined) {
      const word = d.words[2] ?? d.words[1]!;
      throw new ImportError(report.file, word.line, word.column, `no virtual_server_group named "${second ?? ''}"`);
    }
    return virtualServerDrafts(d, vips, second!, idle, report);
  }
  return virtualServerDrafts(d, [{ host: first, port: second, at: d }], null, idle, report);
}

function nameArg(d: Directive, report: ImportReport): string {
  const name = d.args[0];
  if (name === undefined || d.block === undefined) throw new ImportError(report.file, d.line, d.column, `"${d.name}" needs a name and a { … } block`);
  return name;
}

function groupVips(d: Directive, report: ImportReport): Vip[] {
  const vips: Vip[] = [];
  for (const entry of d.block ?? []) {
    if (entry.name === 'fwmark') report.omit(entry.line, directiveText(entry), 'firewall-mark entries have no address and port: not carried');
    else if (/[-/]/.test(entry.name) && !entry.name.includes(':'))
      report.omit(entry.line, directiveText(entry), 'address ranges are not carried: a service listens on one address');
    else vips.push({ host: entry.name, port: entry.args[0], at: entry });
  }
  return vips;
}

function readGlobal(d: Directive, idle: Record<Protocol, number>, report: ImportReport): void {
  for (const child of d.block ?? []) {
    if (child.name !== 'lvs_timeouts') {
      report.omit(child.line, directiveText(child), 'not applicable: a setting of the keepalived process');
      continue;
    }
    for (let i = 0; i < child.args.length; i += 2) {
      const key = child.args[i]!;
      const seconds = count(child, report, i + 1);
      if (key === 'tcp' || key === 'udp') idle[key] = seconds * 1_000;
      else report.omit(child.line, `lvs_timeouts ${key} ${seconds}`, 'not carried: half-closed TCP flows follow the idle timeout in Fulcrum');
    }
  }
}
