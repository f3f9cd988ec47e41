/**
 * `listen …` → endpoint and protocol. `listen 53` and `listen *:53` are every IPv4 address
 * (0.0.0.0:53), `listen [::]:53` every IPv6 one; `udp` makes a UDP service. TLS and the socket
 * options of the nginx process are reported.
 */

import { endpointFrom, splitHostPort } from '../address.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import type { Protocol } from '../../protocol/rules/model.js';

export interface Listen {
  endpoint: string;
  protocol: Protocol;
  at: Directive;
}

const TLS = 'TLS termination is not carried: Fulcrum forwards the encrypted bytes, so backends must speak TLS themselves';
const HTTP_ONLY = ['http2', 'quic', 'spdy', 'default_server', 'default'];

export function readListen(d: Directive, report: ImportReport): Listen | null {
  const word = d.words[1];
  if (word === undefined) throw new ImportError(report.file, d.line, d.column, '"listen" needs an address or port');
  let protocol: Protocol = 'tcp';
  let ipv6only: boolean | null = null;
  for (const option of d.args.slice(1)) {
    const key = option.split('=')[0]!;
    if (option === 'udp') protocol = 'udp';
    else if (key === 'ipv6only') ipv6only = option !== 'ipv6only=off';
    else if (key === 'ssl') report.omit(d.line, option, TLS);
    else if (key === 'proxy_protocol') report.omit(d.line, option, 'accepting the PROXY protocol from clients is not carried');
    else if (HTTP_ONLY.includes(key)) report.omit(d.line, option, 'HTTP-only: virtual hosts and HTTP versions are not carried');
    else report.omit(d.line, option, 'not applicable: a socket option of the nginx process');
  }
  const text = word.text;
  if (text.startsWith('unix:')) {
    report.omit(d.line, directiveText(d), 'UNIX sockets are not carried: a service listens on an IP address; not imported');
    return null;
  }
  const { host, port } = /^[0-9]+(-[0-9]+)?$/.test(text) ? { host: '*', port: text } : splitHostPort(text);
  if (port !== null && /^[0-9]+-[0-9]+$/.test(port)) {
    report.omit(d.line, directiveText(d), 'port ranges are not carried: a service listens on one port; not imported');
    return null;
  }
  const endpoint = endpointFrom(host === '*' ? '0.0.0.0' : host, port ?? '80');
  if ('problem' in endpoint) {
    report.omit(d.line, directiveText(d), `${endpoint.problem}; not imported`);
    return null;
  }
  // Fulcrum's [::]:P is dual-stack; nginx's is IPv6-only unless ipv6only=off (paired with a
  // `listen P` it is merged by assemble(), with its own report).
  if (ipv6only === true && endpoint.endpoint.startsWith('[::]:')) {
    report.omit(d.line, 'ipv6only=on', `nginx takes only IPv6 clients here; a Fulcrum appliance listening on ${endpoint.endpoint} takes IPv4 clients too`);
  }
  return { endpoint: endpoint.endpoint, protocol, at: d };
}
