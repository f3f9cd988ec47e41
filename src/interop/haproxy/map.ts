/**
 * An HAProxy configuration → service drafts. Sections are read in order; each proxy takes the
 * settings of the defaults section before it (or the one named by `from`), as HAProxy does.
 * Frontends and listens with a bind become services; backends no frontend uses, global settings
 * and sections that never hold services are reported.
 */

import type { ServiceDraft } from '../draft.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText } from '../syntax.js';
import { GLOBAL_REASONS, PROCESS_SETTING, SECTION_REASONS } from './reasons.js';
import { parseSections } from './parse.js';
import { readProxy, type ProxyConfig } from './proxy.js';
import { servicesOf } from './service.js';

export function mapHaproxy(text: string, report: ImportReport): ServiceDraft[] {
  const proxies: ProxyConfig[] = [];
  const namedDefaults = new Map<string, ProxyConfig>();
  let defaults: ProxyConfig | undefined;
  for (const section of parseSections(text, report.file, report)) {
    if (section.kind === 'global') {
      for (const d of section.directives) report.omit(d.line, directiveText(d), GLOBAL_REASONS[d.name] ?? PROCESS_SETTING);
      continue;
    }
    if (!['defaults', 'frontend', 'backend', 'listen'].includes(section.kind)) {
      report.omit(section.line, directiveText(section.header), SECTION_REASONS[section.kind] ?? 'not carried over: a rule table has no equivalent');
      continue;
    }
    const own = readProxy(section, report);
    let base = defaults;
    if (own.from !== null) {
      base = namedDefaults.get(own.from);
      if (base === undefined) {
        const word = section.extra[1]!;
        throw new ImportError(report.file, word.line, word.column, `no defaults section named "${own.from}" before this line`);
      }
    }
    const effective = inherit(own, own.kind === 'defaults' && own.from === null ? undefined : base);
    if (effective.kind === 'defaults') {
      defaults = effective;
      if (effective.name !== '') namedDefaults.set(effective.name, effective);
    } else {
      proxies.push(effective);
    }
  }
  const backends = new Map(proxies.filter((p) => p.kind !== 'frontend').map((p) => [p.name, p] as const));
  const used = new Set<string>();
  const drafts = proxies.filter((p) => p.kind !== 'backend').flatMap((p) => servicesOf(p, backends, used, report));
  for (const proxy of proxies) {
    const header = proxy.section.header;
    if (proxy.kind === 'backend' && !used.has(proxy.name)) {
      report.omit(header.line, directiveText(header), 'no frontend uses this backend; not imported');
    } else if (proxy.kind === 'listen' && proxy.binds.length === 0 && !used.has(proxy.name)) {
      report.omit(header.line, directiveText(header), 'no bind and no frontend uses it: not a service');
    }
  }
  return drafts;
}

/** What a proxy takes from its defaults section: everything it does not set itself. */
function inherit(own: ProxyConfig, base: ProxyConfig | undefined): ProxyConfig {
  if (base === undefined) return own;
  const keepCheck = !own.cancelled.has('check');
  return {
    ...own,
    mode: own.mode ?? base.mode,
    balance: own.balance ?? base.balance,
    hashType: own.hashType ?? base.hashType,
    timeouts: { ...base.timeouts, ...own.timeouts },
    check: own.check ?? (keepCheck ? base.check : undefined),
    httpRequest: own.httpRequest ?? (keepCheck ? base.httpRequest : undefined),
    expect: own.expect ?? (keepCheck ? base.expect : undefined),
    checkPort: own.checkPort ?? base.checkPort,
    defaultServer: { ...base.defaultServer, ...own.defaultServer },
    allBackups: own.allBackups ?? (own.cancelled.has('allbackups') ? undefined : base.allBackups),
  };
}
