/**
 * `bind` lines → listen endpoints. `*:P` and `:P` listen on every IPv4 address (0.0.0.0:P),
 * `:::P` on every IPv6 one; several addresses (comma-separated, or several bind lines) give
 * several services. Sockets a rule table cannot listen on (UNIX, port ranges, names) and every
 * bind option (TLS above all) are reported.
 */

import { endpointFrom, splitHostPort } from '../address.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import { BIND_FLAGS, BIND_WITH_VALUE, bindKeywordReason } from './bind-keywords.js';

const TCP_PREFIXES = /^(ipv4|ipv6|tcp|tcp4|tcp6)@/;

export interface Listener {
  endpoint: string;
  at: Directive;
}

export function readBind(d: Directive, report: ImportReport): Listener[] {
  const addressWord = d.words[1]!;
  const listeners: Listener[] = [];
  for (const part of addressWord.text.split(',')) {
    const endpoint = bindAddress(part, d, report);
    if (endpoint !== null) listeners.push({ endpoint, at: d });
  }
  reportOptions(d, report);
  return listeners;
}

function bindAddress(text: string, d: Directive, report: ImportReport): string | null {
  const prefix = TCP_PREFIXES.exec(text)?.[1];
  const rest = text.replace(TCP_PREFIXES, '');
  if (rest.startsWith('/') || /^[a-z0-9]+@/.test(rest)) {
    report.omit(d.line, text, 'only TCP listeners on IP addresses are carried (UNIX sockets, inherited fds, QUIC and UDP listeners are not)');
    return null;
  }
  if (rest.includes('$')) {
    report.omit(d.line, text, 'environment variables are not expanded on import; this address is not carried');
    return null;
  }
  const { host, port } = splitHostPort(rest);
  if (port === null || port === '') {
    const word = d.words[1]!;
    throw new ImportError(report.file, word.line, word.column, `bind address "${text}" has no port`);
  }
  if (/^[0-9]+-[0-9]+$/.test(port)) {
    report.omit(d.line, text, 'port ranges are not carried: a service listens on one port');
    return null;
  }
  const wildcard = host === '' || host === '*';
  const result = endpointFrom(wildcard ? (prefix === 'ipv6' || prefix === 'tcp6' ? '::' : '0.0.0.0') : host, port);
  if ('problem' in result) {
    report.omit(d.line, text, `${result.problem}; this listener is not carried`);
    return null;
  }
  return result.endpoint;
}

function reportOptions(d: Directive, report: ImportReport): void {
  const words = d.words;
  for (let i = 2; i < words.length; i++) {
    const keyword = words[i]!.text;
    const next = words[i + 1]?.text;
    const takesValue = BIND_WITH_VALUE.has(keyword) || (!BIND_FLAGS.has(keyword) && next !== undefined && !BIND_FLAGS.has(next) && !BIND_WITH_VALUE.has(next));
    const args = takesValue && next !== undefined ? [next] : [];
    if (takesValue) i++;
    report.omit(d.line, directiveText({ name: keyword, args }), bindKeywordReason(keyword));
  }
}
