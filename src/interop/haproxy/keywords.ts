/**
 * The reasons reported for HAProxy settings a rule table has no room for, and the argument counts
 * of `server`/`bind` keywords (needed to tell a keyword's value from the next keyword). Reasons
 * say what the operator loses, so the report reads as advice rather than as a parser log.
 */

const TLS = 'TLS is not carried: Fulcrum forwards the bytes as they come, so backends see what clients send';
const LOGGING = 'logging is configured on the appliance, not in a rule table';
const HTTP_ONLY = 'HTTP-only: the imported service balances TCP connections and does not look into requests';
const GENERIC = 'not carried over: a rule table has no equivalent';

/** Proxy directives (and `option` names, as `option NAME`) that are reported when met. */
export const DIRECTIVE_REASONS: Record<string, string> = {
  log: LOGGING, 'log-format': LOGGING, 'log-tag': LOGGING, 'error-log-format': LOGGING, 'option tcplog': LOGGING,
  'option httplog': LOGGING, 'option dontlognull': LOGGING, 'option log-health-checks': LOGGING,
  'option log-separate-errors': LOGGING, 'option dontlog-normal': LOGGING, 'log-format-sd': LOGGING,
  acl: `${HTTP_ONLY} (ACLs select traffic by content)`,
  'http-request': HTTP_ONLY, 'http-response': HTTP_ONLY, 'http-after-response': HTTP_ONLY, redirect: HTTP_ONLY,
  'http-reuse': HTTP_ONLY, 'option forwardfor': HTTP_ONLY, 'option http-server-close': HTTP_ONLY,
  'option httpclose': HTTP_ONLY, 'option http-keep-alive': HTTP_ONLY, 'option http-buffer-request': HTTP_ONLY,
  'option http-pretend-keepalive': HTTP_ONLY, 'option originalto': HTTP_ONLY, 'option http-use-htx': HTTP_ONLY,
  capture: HTTP_ONLY, compression: HTTP_ONLY, errorfile: HTTP_ONLY, errorfiles: HTTP_ONLY, errorloc: HTTP_ONLY,
  errorloc302: HTTP_ONLY, errorloc303: HTTP_ONLY, 'http-error': HTTP_ONLY, 'unique-id-format': HTTP_ONLY,
  'unique-id-header': HTTP_ONLY, 'filter': HTTP_ONLY, monitor: 'monitoring endpoints are not services',
  'monitor-uri': 'monitoring endpoints are not services', 'monitor-net': 'monitoring endpoints are not services',
  cookie: 'HTTP cookie persistence is not carried (persistence: source-ip is the rule-table equivalent)',
  'appsession': 'HTTP cookie persistence is not carried (persistence: source-ip is the rule-table equivalent)',
  'tcp-request': 'connection rules (tcp-request) are not carried: a service accepts every client',
  'tcp-response': 'content rules (tcp-response) are not carried',
  maxconn: 'a limit for the whole proxy is not carried: a rule table limits connections per backend (max-connections)',
  fullconn: 'dynamic server limits (fullconn, minconn) are not carried',
  retries: 'not carried: Fulcrum retries a failed connect on another backend, up to 4 tries, the fallback last',
  'option redispatch': 'not carried as a setting: Fulcrum always retries a failed connect on another backend',
  'option abortonclose': GENERIC, 'option tcpka': 'TCP keep-alive is the appliance\'s choice, not the rule table\'s',
  'option clitcpka': 'TCP keep-alive is the appliance\'s choice, not the rule table\'s',
  'option srvtcpka': 'TCP keep-alive is the appliance\'s choice, not the rule table\'s',
  'option splice-auto': 'not applicable: a kernel data-path optimisation', 'option splice-request': 'not applicable: a kernel data-path optimisation',
  'option splice-response': 'not applicable: a kernel data-path optimisation', 'option nolinger': GENERIC,
  'option transparent': 'transparent proxying is not carried', source: 'choosing the source address towards backends is not carried',
  'option independent-streams': GENERIC, 'option socket-stats': 'statistics are collected by Fulcrum\'s own counters',
  'option contstats': 'statistics are collected by Fulcrum\'s own counters',
  'http-check disable-on-404': 'not carried: Fulcrum does not drain a backend on a 404 answer',
  'http-check send-state': 'not carried: Fulcrum probes send no state header',
  'server-template': 'server-template creates servers from DNS records at run time; a rule table lists fixed IP addresses',
  'server-state-file-name': 'not applicable: state files belong to the HAProxy process', 'load-server-state-from-file': 'not applicable: state files belong to the HAProxy process',
  'dynamic-cookie-key': 'HTTP cookie persistence is not carried', 'email-alert': 'alerts are not part of a rule table',
  'bind-process': 'not applicable: process placement', 'description': 'not carried: a rule table has no description field',
  id: 'not carried: numeric proxy ids are HAProxy\'s', 'hash-balance-factor': 'bounded-load hashing is not carried',
  'timeout queue': 'queueing is not carried: a backend at its max-connections is skipped, not queued for',
  'timeout connect': 'not carried: a rule table has no connect timeout (health checks use their own timeout)',
  'timeout http-request': HTTP_ONLY, 'timeout http-keep-alive': HTTP_ONLY, 'timeout tarpit': HTTP_ONLY,
  'timeout client-fin': 'half-closed connections follow the idle timeout in Fulcrum', 'timeout server-fin': 'half-closed connections follow the idle timeout in Fulcrum',
  'force-persist': HTTP_ONLY, 'ignore-persist': HTTP_ONLY, 'persist': GENERIC, 'rate-limit': 'session rate limits are not carried',
  'declare': GENERIC, 'guid': GENERIC, 'external-check': 'external check scripts are not carried',
  'option external-check': 'external check scripts are not carried',
};

/** Global-section directives with a more specific reason than "process setting". */
export const GLOBAL_REASONS: Record<string, string> = {
  maxconn: 'not applicable: process-wide connection limit (a rule table limits connections per backend)',
  stats: 'not applicable: HAProxy runtime API; Fulcrum manages its appliances over its own channels',
  log: `not applicable: ${LOGGING}`,
  'ssl-default-bind-ciphers': `not applicable: ${TLS}`, 'ssl-default-bind-options': `not applicable: ${TLS}`,
  'ssl-default-server-ciphers': `not applicable: ${TLS}`, 'ssl-default-server-options': `not applicable: ${TLS}`,
  'ssl-dh-param-file': `not applicable: ${TLS}`, 'ssl-default-bind-ciphersuites': `not applicable: ${TLS}`,
};

export const PROCESS_SETTING = 'not applicable: a setting of the HAProxy process, not of a service';

/** Sections that never hold services. */
export const SECTION_REASONS: Record<string, string> = {
  peers: 'not applicable: stick-table replication between HAProxy processes',
  resolvers: 'not carried: a rule table holds IP addresses, names are not resolved',
  userlist: 'HTTP-only: user lists serve HTTP authentication',
  mailers: 'not applicable: e-mail alerts', program: 'not applicable: programs run by the HAProxy master',
  'http-errors': 'HTTP-only: error pages', ring: 'not applicable: log buffers', cache: 'HTTP-only: response cache',
  'log-forward': 'not applicable: syslog forwarding', 'fcgi-app': 'HTTP-only: FastCGI applications',
  'crt-store': `not applicable: ${TLS}`, traces: 'not applicable: debugging traces', namespace_list: 'not applicable: network namespaces',
};

export const TLS_REASON = TLS;

/** `server`/`default-server` keywords that take no value; every other known keyword takes one. */
export const SERVER_FLAGS = new Set([
  'backup', 'no-backup', 'check', 'no-check', 'disabled', 'enabled', 'check-ssl', 'no-check-ssl', 'check-send-proxy',
  'no-check-send-proxy', 'send-proxy', 'no-send-proxy', 'send-proxy-v2', 'no-send-proxy-v2', 'send-proxy-v2-ssl',
  'no-send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'no-send-proxy-v2-ssl-cn', 'ssl', 'no-ssl', 'tfo', 'no-tfo',
  'non-stick', 'stick', 'agent-check', 'no-agent-check', 'allow-0rtt', 'no-verifyhost', 'force-sslv3', 'force-tlsv10',
  'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13',
  'no-tls-tickets', 'tls-tickets', 'ssl-reuse', 'no-ssl-reuse', 'check-via-socks4', 'no-check-via-socks4', 'check-reuse-pool',
]);

export const SERVER_WITH_VALUE = new Set([
  'weight', 'maxconn', 'inter', 'fastinter', 'downinter', 'rise', 'fall', 'port', 'addr', 'agent-addr', 'agent-inter',
  'agent-port', 'agent-send', 'alpn', 'ca-file', 'check-alpn', 'check-proto', 'check-sni', 'ciphers', 'ciphersuites',
  'cookie', 'crl-file', 'crt', 'error-limit', 'id', 'init-addr', 'maxqueue', 'minconn', 'namespace', 'npn', 'observe',
  'on-error', 'on-marked-down', 'on-marked-up', 'pool-low-conn', 'pool-max-conn', 'pool-purge-delay', 'proto', 'redir',
  'resolve-net', 'resolve-opts', 'resolve-prefer', 'resolvers', 'send-proxy-v2-options', 'slowstart', 'sni', 'socks4',
  'ssl-max-ver', 'ssl-min-ver', 'track', 'verify', 'verifyhost', 'ws', 'log-proto', 'max-reuse', 'shard', 'curves',
  'sigalgs', 'client-sigalgs', 'hash-key', 'guid', 'source', 'usesrc', 'interface', 'set-proxy-v2-tlv-fmt', 'log-bufsize',
]);

const SERVER_TLS = ['ssl', 'check-ssl', 'crt', 'ca-file', 'crl-file', 'verify', 'verifyhost', 'sni', 'alpn', 'npn', 'ciphers', 'ciphersuites', 'ssl-min-ver', 'ssl-max-ver', 'check-sni', 'check-alpn', 'allow-0rtt', 'ssl-reuse', 'curves', 'sigalgs', 'client-sigalgs'];

/** Why a server keyword is not carried (keywords Fulcrum maps are absent). */
export function serverKeywordReason(keyword: string): string {
  if (SERVER_TLS.includes(keyword) || /^(no-|force-)(ssl|tls)/.test(keyword)) return TLS;
  if (keyword.startsWith('send-proxy') || keyword === 'check-send-proxy') return 'the PROXY protocol header is not sent by Fulcrum';
  if (keyword.startsWith('agent-')) return 'agent checks are not carried: Fulcrum runs its own health checks';
  if (keyword === 'slowstart') return 'not carried: a recovered backend gets its full weight at once';
  if (keyword === 'on-marked-down' || keyword === 'on-marked-up') return 'not carried: what happens to established flows when a backend changes state is fixed in Fulcrum';
  if (keyword === 'fastinter' || keyword === 'downinter') return 'not carried: Fulcrum probes at one interval whatever the backend\'s state';
  if (keyword === 'maxqueue' || keyword === 'minconn') return 'queueing is not carried: a backend at its max-connections is skipped, not queued for';
  if (keyword === 'cookie') return 'HTTP cookie persistence is not carried';
  if (keyword.startsWith('resolve') || keyword === 'init-addr') return 'DNS resolution of backends is not carried: a rule table lists IP addresses';
  if (keyword === 'track') return 'not carried: each Fulcrum backend is checked on its own';
  if (keyword === 'observe' || keyword === 'error-limit' || keyword === 'on-error') return 'passive failure detection is not carried: Fulcrum health checks are active probes';
  if (keyword === 'addr') return 'not carried: Fulcrum probes the backend\'s own address';
  if (keyword === 'source' || keyword === 'usesrc' || keyword === 'interface') return 'choosing the source address towards backends is not carried';
  return GENERIC;
}

/** `bind` keywords that take no value; every other known keyword takes one. */
export const BIND_FLAGS = new Set([
  'ssl', 'v4v6', 'v6only', 'transparent', 'accept-proxy', 'defer-accept', 'tfo', 'strict-sni', 'prefer-client-ciphers',
  'allow-0rtt', 'no-ca-names', 'generate-certificates', 'quic-force-retry', 'no-tls-tickets', 'tls-tickets', 'no-sslv3',
  'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12',
  'force-tlsv13', 'no-alpn', 'ssl-reuse',
]);

export const BIND_WITH_VALUE = new Set([
  'crt', 'crt-list', 'ca-file', 'alpn', 'npn', 'ciphers', 'ciphersuites', 'curves', 'ecdhe', 'interface', 'name', 'id',
  'maxconn', 'backlog', 'mss', 'nice', 'process', 'thread', 'level', 'severity-output', 'mode', 'uid', 'gid', 'user',
  'group', 'namespace', 'verify', 'crl-file', 'ssl-min-ver', 'ssl-max-ver', 'tcp-ut', 'proto', 'shards', 'sigalgs',
  'accept-netscaler-cip', 'client-sigalgs', 'ca-sign-file', 'ca-sign-pass', 'ca-verify-file', 'expose-fd', 'label',
  'quic-cc-algo', 'ca-ignore-err', 'crt-ignore-err', 'idle-ping', 'guid-prefix',
]);

export function bindKeywordReason(keyword: string): string {
  if (['ssl', 'crt', 'crt-list', 'ca-file', 'alpn', 'npn', 'ciphers', 'ciphersuites', 'curves', 'ecdhe', 'verify', 'crl-file', 'strict-sni', 'ssl-min-ver', 'ssl-max-ver', 'prefer-client-ciphers', 'allow-0rtt', 'generate-certificates', 'sigalgs', 'client-sigalgs'].includes(keyword) || /^(no-|force-)(ssl|tls)/.test(keyword)) {
    return `TLS termination is not carried: Fulcrum forwards the encrypted bytes, so backends must speak TLS themselves`;
  }
  if (keyword === 'accept-proxy' || keyword === 'accept-netscaler-cip') return 'accepting the PROXY protocol from clients is not carried';
  if (keyword === 'maxconn' || keyword === 'backlog') return 'listener limits are not carried: a rule table limits connections per backend';
  if (keyword === 'v4v6' || keyword === 'v6only') return 'not carried: how an IPv6 listener treats IPv4 clients is the appliance\'s choice';
  if (['interface', 'namespace', 'process', 'thread', 'nice', 'shards', 'uid', 'gid', 'user', 'group', 'mode', 'level', 'expose-fd', 'severity-output'].includes(keyword)) {
    return 'not applicable: a setting of the HAProxy process\'s sockets';
  }
  return GENERIC;
}
