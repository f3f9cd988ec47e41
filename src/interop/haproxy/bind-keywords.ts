/**
 * The argument counts of HAProxy `bind` keywords (needed to tell a keyword's value from the next
 * keyword), and why each keyword Fulcrum does not map is left out.
 */
import { GENERIC_REASON } from './reasons.js';

/** `bind` keywords that take no value; every other known keyword takes one. */
export const BIND_FLAGS = new Set([
  'ssl',
  'v4v6',
  'v6only',
  'transparent',
  'accept-proxy',
  'defer-accept',
  'tfo',
  'strict-sni',
  'prefer-client-ciphers',
  'allow-0rtt',
  'no-ca-names',
  'generate-certificates',
  'quic-force-retry',
  'no-tls-tickets',
  'tls-tickets',
  'no-sslv3',
  'no-tlsv10',
  'no-tlsv11',
  'no-tlsv12',
  'no-tlsv13',
  'force-sslv3',
  'force-tlsv10',
  'force-tlsv11',
  'force-tlsv12',
  'force-tlsv13',
  'no-alpn',
  'ssl-reuse',
]);

export const BIND_WITH_VALUE = new Set([
  'crt',
  'crt-list',
  'ca-file',
  'alpn',
  'npn',
  'ciphers',
  'ciphersuites',
  'curves',
  'ecdhe',
  'interface',
  'name',
  'id',
  'maxconn',
  'backlog',
  'mss',
  'nice',
  'process',
  'thread',
  'level',
  'severity-output',
  'mode',
  'uid',
  'gid',
  'user',
  'group',
  'namespace',
  'verify',
  'crl-file',
  'ssl-min-ver',
  'ssl-max-ver',
  'tcp-ut',
  'proto',
  'shards',
  'sigalgs',
  'accept-netscaler-cip',
  'client-sigalgs',
  'ca-sign-file',
  'ca-sign-pass',
  'ca-verify-file',
  'expose-fd',
  'label',
  'quic-cc-algo',
  'ca-ignore-err',
  'crt-ignore-err',
  'idle-ping',
  'guid-prefix',
]);

export function bindKeywordReason(keyword: string): string {
  if (
    [
      'ssl',
      'crt',
      'crt-list',
      'ca-file',
      'alpn',
      'npn',
      'ciphers',
      'ciphersuites',
      'curves',
      'ecdhe',
      'verify',
      'crl-file',
      'strict-sni',
      'ssl-min-ver',
      'ssl-max-ver',
      'prefer-client-ciphers',
      'allow-0rtt',
      'generate-certificates',
      'sigalgs',
      'client-sigalgs',
    ].includes(keyword) ||
    /^(no-|force-)(ssl|tls)/.test(keyword)
  ) {
    return `TLS termination is not carried: Fulcrum forwards the encrypted bytes, so backends must speak TLS themselves`;
  }
  if (keyword === 'accept-proxy' || keyword === 'accept-netscaler-cip') return 'accepting the PROXY protocol from clients is not carried';
  if (keyword === 'maxconn' || keyword === 'backlog') return 'listener limits are not carried: a rule table limits connections per backend';
  if (keyword === 'v4v6' || keyword === 'v6only') return "not carried: how an IPv6 listener treats IPv4 clients is the appliance's choice";
  if (
    ['interface', 'namespace', 'process', 'thread', 'nice', 'shards', 'uid', 'gid', 'user', 'group', 'mode', 'level', 'expose-fd', 'severity-output'].includes(
      keyword,
    )
  ) {
    return "not applicable: a setting of the HAProxy process's sockets";
  }
  return GENERIC_REASON;
}
