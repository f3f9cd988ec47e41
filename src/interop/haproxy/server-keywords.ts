/**
 * The argument counts of HAProxy `server`/`default-server` keywords (needed to tell a keyword's
 * value from the next keyword), and why each keyword Fulcrum does not map is left out.
 */
import { GENERIC_REASON, TLS_REASON } from './reasons.js';

/** `server`/`default-server` keywords that take no value; every other known keyword takes one. */
export const SERVER_FLAGS = new Set([
  'backup',
  'no-backup',
  'check',
  'no-check',
  'disabled',
  'enabled',
  'check-ssl',
  'no-check-ssl',
  'check-send-proxy',
  'no-check-send-proxy',
  'send-proxy',
  'no-send-proxy',
  'send-proxy-v2',
  'no-send-proxy-v2',
  'send-proxy-v2-ssl',
  'no-send-proxy-v2-ssl',
  'send-proxy-v2-ssl-cn',
  'no-send-proxy-v2-ssl-cn',
  'ssl',
  'no-ssl',
  'tfo',
  'no-tfo',
  'non-stick',
  'stick',
  'agent-check',
  'no-agent-check',
  'allow-0rtt',
  'no-verifyhost',
  'force-sslv3',
  'force-tlsv10',
  'force-tlsv11',
  'force-tlsv12',
  'force-tlsv13',
  'no-sslv3',
  'no-tlsv10',
  'no-tlsv11',
  'no-tlsv12',
  'no-tlsv13',
  'no-tls-tickets',
  'tls-tickets',
  'ssl-reuse',
  'no-ssl-reuse',
  'check-via-socks4',
  'no-check-via-socks4',
  'check-reuse-pool',
]);

export const SERVER_WITH_VALUE = new Set([
  'weight',
  'maxconn',
  'inter',
  'fastinter',
  'downinter',
  'rise',
  'fall',
  'port',
  'addr',
  'agent-addr',
  'agent-inter',
  'agent-port',
  'agent-send',
  'alpn',
  'ca-file',
  'check-alpn',
  'check-proto',
  'check-sni',
  'ciphers',
  'ciphersuites',
  'cookie',
  'crl-file',
  'crt',
  'error-limit',
  'id',
  'init-addr',
  'maxqueue',
  'minconn',
  'namespace',
  'npn',
  'observe',
  'on-error',
  'on-marked-down',
  'on-marked-up',
  'pool-low-conn',
  'pool-max-conn',
  'pool-purge-delay',
  'proto',
  'redir',
  'resolve-net',
  'resolve-opts',
  'resolve-prefer',
  'resolvers',
  'send-proxy-v2-options',
  'slowstart',
  'sni',
  'socks4',
  'ssl-max-ver',
  'ssl-min-ver',
  'track',
  'verify',
  'verifyhost',
  'ws',
  'log-proto',
  'max-reuse',
  'shard',
  'curves',
  'sigalgs',
  'client-sigalgs',
  'hash-key',
  'guid',
  'source',
  'usesrc',
  'interface',
  'set-proxy-v2-tlv-fmt',
  'log-bufsize',
]);

const SERVER_TLS = [
  'ssl',
  'check-ssl',
  'crt',
  'ca-file',
  'crl-file',
  'verify',
  'verifyhost',
  'sni',
  'alpn',
  'npn',
  'ciphers',
  'ciphersuites',
  'ssl-min-ver',
  'ssl-max-ver',
  'check-sni',
  'check-alpn',
  'allow-0rtt',
  'ssl-reuse',
  'curves',
  'sigalgs',
  'client-sigalgs',
];

/** Why a server keyword is not carried (keywords Fulcrum maps are absent). */
export function serverKeywordReason(keyword: string): string {
  if (SERVER_TLS.includes(keyword) || /^(no-|force-)(ssl|tls)/.test(keyword)) return TLS_REASON;
  if (keyword.startsWith('send-proxy') || keyword === 'check-send-proxy') return 'the PROXY protocol header is not sent by Fulcrum';
  if (keyword.startsWith('agent-')) return 'agent checks are not carried: Fulcrum runs its own health checks';
  if (keyword === 'slowstart') return 'not carried: a recovered backend gets its full weight at once';
  if (keyword === 'on-marked-down' || keyword === 'on-marked-up')
    return 'not carried: what happens to established flows when a backend changes state is fixed in Fulcrum';
  if (keyword === 'fastinter' || keyword === 'downinter') return "not carried: Fulcrum probes at one interval whatever the backend's state";
  if (keyword === 'maxqueue' || keyword === 'minconn') return 'queueing is not carried: a backend at its max-connections is skipped, not queued for';
  if (keyword === 'cookie') return 'HTTP cookie persistence is not carried';
  if (keyword.startsWith('resolve') || keyword === 'init-addr') return 'DNS resolution of backends is not carried: a rule table lists IP addresses';
  if (keyword === 'track') return 'not carried: each Fulcrum backend is checked on its own';
  if (keyword === 'observe' || keyword === 'error-limit' || keyword === 'on-error')
    return 'passive failure detection is not carried: Fulcrum health checks are active probes';
  if (keyword === 'addr') return "not carried: Fulcrum probes the backend's own address";
  if (keyword === 'source' || keyword === 'usesrc' || keyword === 'interface') return 'choosing the source address towards backends is not carried';
  return GENERIC_REASON;
}
