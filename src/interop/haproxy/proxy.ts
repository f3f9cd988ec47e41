/**
 * One HAProxy proxy section (defaults, frontend, backend, listen) read into the settings a rule
 * table can hold. Settings it cannot hold are reported here, at their line, as they are met; the
 * ones that are carried are kept with their directive so later steps can report against them
 * (a `mode http` matters only if a service ends up using it).
 */

import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive, type Word } from '../syntax.js';
import { haproxyDuration } from '../durations.js';
import { readCheckDirective } from './checks.js';
import { DIRECTIVE_REASONS } from './reasons.js';
import type { Section } from './parse.js';
import { readParams, readServer } from './server.js';
import { PROTOCOL_CHECKS, TIMEOUTS, type ProxyConfig, type ProxyKind, type TimeoutName } from './proxy-config.js';

export { PROTOCOL_CHECKS, TIMEOUTS, type Located, type ProxyConfig, type ProxyKind, type TimeoutName } from './proxy-config.js';

const OLD_TIMEOUTS: Record<string, TimeoutName> = { clitimeout: 'client', srvtimeout: 'server', contimeout: 'connect' };

export function readProxy(section: Section, report: ImportReport): ProxyConfig {
  const kind = section.kind as ProxyKind;
  if (section.name === null && kind !== 'defaults') {
    throw new ImportError(report.file, section.line, section.column, `"${kind}" needs a name`);
  }
  const proxy: ProxyConfig = {
    kind,
    name: section.name ?? '',
    section,
    from: fromName(section, report),
    timeouts: {},
    defaultServer: {},
    servers: [],
    binds: [],
    useBackends: [],
    acls: new Map(),
    stats: [],
    cancelled: new Set(),
  };
  for (const directive of section.directives) readDirective(proxy, directive, report);
  return proxy;
}

function fromName(section: Section, report: ImportReport): string | null {
  const [keyword, name] = section.extra;
  if (keyword === undefined) return null;
  if (keyword.text !== 'from' || name === undefined) {
    throw new ImportError(report.file, keyword.line, keyword.column, `unexpected "${keyword.text}" after the section name (only "from NAME" may follow)`);
  }
  return name.text;
}

function arg(directive: Directive, index: number, report: ImportReport, what: string): Word {
  const word = directive.words[index + 1];
  if (word === undefined) {
    const last = directive.words[directive.words.length - 1]!;
    throw new ImportError(report.file, last.line, last.column + last.text.length, `"${directive.name}" needs ${what}`);
  }
  return word;
}

function omit(report: ImportReport, directive: Directive, key: string = directive.name): void {
  report.omit(directive.line, directiveText(directive), DIRECTIVE_REASONS[key] ?? 'not carried over: a rule table has no equivalent');
}

export function duration(word: Word, report: ImportReport): number {
  const parsed = haproxyDuration(word.text);
  if ('problem' in parsed) throw new ImportError(report.file, word.line, word.column, parsed.problem);
  return parsed.ms;
}

function readDirective(proxy: ProxyConfig, d: Directive, report: ImportReport): void {
  switch (d.name) {
    case 'mode':
      proxy.mode = { value: arg(d, 0, report, 'tcp or http').text, at: d };
      return;
    case 'balance': {
      const text = arg(d, 0, report, 'an algorithm').text;
      const m = /^([a-z_-]+)(?:\((.*)\))?$/.exec(text);
      proxy.balance = { value: { algorithm: m?.[1] ?? text, arg: m?.[2] ?? d.args[1] ?? null }, at: d };
      return;
    }
    case 'hash-type':
      proxy.hashType = { value: arg(d, 0, report, 'consistent or map-based').text, at: d };
      if (d.args.length > 1) report.omit(d.line, directiveText(d), 'the hash function is not carried: Maglev uses its own');
      return;
    case 'timeout': {
      const name = arg(d, 0, report, 'a timeout name').text;
      const value = duration(arg(d, 1, report, 'a time'), report);
      if ((TIMEOUTS as readonly string[]).includes(name)) {
        proxy.timeouts[name as TimeoutName] = { value, at: d };
        if (name === 'connect') omit(report, d, 'timeout connect');
      } else {
        omit(report, d, `timeout ${name}`);
      }
      return;
    }
    case 'clitimeout':
    case 'srvtimeout':
    case 'contimeout':
      proxy.timeouts[OLD_TIMEOUTS[d.name]!] = { value: duration(arg(d, 0, report, 'a time'), report), at: d };
      if (d.name === 'contimeout') omit(report, d, 'timeout connect');
      return;
    case 'option':
      readOption(proxy, d, report);
      return;
    case 'no':
      if (d.args[0] === 'option' && ['allbackups', 'httpchk', 'tcp-check', ...PROTOCOL_CHECKS].includes(d.args[1] ?? '')) {
        proxy.cancelled.add(d.args[1] === 'allbackups' ? 'allbackups' : 'check');
      } else {
        omit(report, d, d.args.slice(0, 2).join(' '));
      }
      return;
    case 'http-check':
    case 'tcp-check':
      readCheckDirective(proxy, d, report);
      return;
    case 'default-server':
      Object.assign(proxy.defaultServer, readParams(d, 1, report));
      return;
    case 'server':
      proxy.servers.push(readServer(d, report));
      return;
    case 'bind':
      arg(d, 0, report, 'an address');
      proxy.binds.push(d);
      return;
    case 'default_backend':
      proxy.defaultBackend = { value: arg(d, 0, report, 'a backend name').text, at: d };
      return;
    case 'use_backend':
      arg(d, 0, report, 'a backend name');
      proxy.useBackends.push(d);
      return;
    case 'acl':
      arg(d, 1, report, 'a name and a criterion');
      if (/^nbsrv(\(|$)/.test(d.args[1] ?? '')) proxy.acls.set(d.args[0]!, d);
      else omit(report, d);
      return;
    case 'stick-table':
      readStickTable(proxy, d, report);
      return;
    case 'stick':
      if (['on', 'match', 'store-request'].includes(d.args[0] ?? '') && d.args[1] === 'src' && d.args.length === 2) proxy.stickSource = d;
      else report.omit(d.line, directiveText(d), 'only "stick on src" (persistence by client address) is carried');
      return;
    case 'stats':
      proxy.stats.push(d);
      return;
    case 'disabled':
      proxy.disabled = d;
      return;
    case 'enabled':
      return;
    default:
      omit(report, d);
  }
}

function readOption(proxy: ProxyConfig, d: Directive, report: ImportReport): void {
  const name = arg(d, 0, report, 'an option name').text;
  if (name === 'httpchk') {
    const [first, second] = d.args.slice(1);
    // `option httpchk`, `option httpchk URI`, `option httpchk METHOD URI [VERSION]`.
    const method = second === undefined ? 'OPTIONS' : first!;
    const path = second ?? first ?? '/';
    proxy.check = { value: 'httpchk', at: d };
    proxy.httpRequest = { value: { method, path }, at: d };
    if (d.args.length > 3) report.omit(d.line, directiveText(d), 'HTTP version and headers of the check request are not carried');
  } else if (name === 'tcp-check' || PROTOCOL_CHECKS.includes(name)) {
    proxy.check = { value: name, at: d };
  } else if (name === 'allbackups') {
    proxy.allBackups = d;
  } else {
    omit(report, d, `option ${name}`);
  }
}

function readStickTable(proxy: ProxyConfig, d: Directive, report: ImportReport): void {
  const type = arg(d, 1, report, 'type and size').text;
  let expireMs: number | null = null;
  const rest: string[] = [];
  for (let i = 3; i < d.words.length; i++) {
    const word = d.words[i]!;
    if (word.text === 'expire') {
      expireMs = duration(arg(d, i, report, 'a time'), report);
      i++;
    } else if (['size', 'len'].includes(word.text)) {
      i++;
    } else {
      rest.push(word.text);
    }
  }
  proxy.stickTable = { value: { type, expireMs }, at: d };
  if (rest.length > 0) report.omit(d.line, rest.join(' '), 'stick-table replication and stored counters are not carried');
}
