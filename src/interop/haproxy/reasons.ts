/**
 * The reasons reported for HAProxy directives, global settings and sections a rule table has no
 * room for. Reasons say what the operator loses, so the report reads as advice rather than as a
 * parser log.
 */

const TLS = 'TLS is not carried: Fulcrum forwards the bytes as they come, so backends see what clients send';
const LOGGING = 'logging is configured on the appliance, not in a rule table';
const HTTP_ONLY = 'HTTP-only: the imported service balances TCP connections and does not look into requests';
const GENERIC = 'not carried over: a rule table has no equivalent';

/** Proxy directives (and `option` names, as `option NAME`) that are reported when met. */
export const DIRECTIVE_REASONS: Record<string, string> = {
  log: LOGGING,
  'log-format': LOGGING,
  'log-tag': LOGGING,
  'error-log-format': LOGGING,
  'option tcplog': LOGGING,
  'option httplog': LOGGING,
  'option dontlognull': LOGGING,
  'option log-health-checks': LOGGING,
  'option log-separate-errors': LOGGING,
  'option dontlog-normal': LOGGING,
  'log-format-sd': LOGGING,
  acl: `${HTTP_ONLY} (ACLs select traffic by content)`,
  'http-request': HTTP_ONLY,
  'http-response': HTTP_ONLY,
  'http-after-response': HTTP_ONLY,
  redirect: HTTP_ONLY,
  'http-reuse': HTTP_ONLY,
  'option forwardfor': HTTP_ONLY,
  'option http-server-close': HTTP_ONLY,
  'option httpclose': HTTP_ONLY,
  'option http-keep-alive': HTTP_ONLY,
  'option http-buffer-request': HTTP_ONLY,
  'option http-pretend-keepalive': HTTP_ONLY,
  'option originalto': HTTP_ONLY,
  'option http-use-htx': HTTP_ONLY,
  capture: HTTP_ONLY,
  compression: HTTP_ONLY,
  errorfile: HTTP_ONLY,
  errorfiles: HTTP_ONLY,
  errorloc: HTTP_ONLY,
  errorloc302: HTTP_ONLY,
  errorloc303: HTTP_ONLY,
  'http-error': HTTP_ONLY,
  'unique-id-format': HTTP_ONLY,
  'unique-id-header': HTTP_ONLY,
  filter: HTTP_ONLY,
  monitor: 'monitoring endpoints are not services',
  'monitor-uri': 'monitoring endpoints are not services',
  'monitor-net': 'monitoring endpoints are not services',
  cookie: 'HTTP cookie persistence is not carried (persistence: source-ip is the rule-table equivalent)',
  appsession: 'HTTP cookie persistence is not carried (persistence: source-ip is the rule-table equivalent)',
  'tcp-request': 'connection rules (tcp-request) are not carried: a service accepts every client',
  'tcp-response': 'content rules (tcp-response) are not carried',
  maxconn: 'a limit for the whole proxy is not carried: a rule table limits connections per backend (max-connections)',
  fullconn: 'dynamic server limits (fullconn, minconn) are not carried',
  retries: 'not carried: Fulcrum retries a failed connect on another backend, up to 4 tries, the fallback last',
  'option redispatch': 'not carried as a setting: Fulcrum always retries a failed connect on another backend',
  'option abortonclose': GENERIC,
  'option tcpka': "TCP keep-alive is the appliance's choice, not the rule table's",
  'option clitcpka': "TCP keep-alive is the appliance's choice, not the rule table's",
  'option srvtcpka': "TCP keep-alive is the appliance's choice, not the rule table's",
  'option splice-auto': 'not applicable: a kernel data-path optimisation',
  'option splice-request': 'not applicable: a kernel data-path optimisation',
  'option splice-response': 'not applicable: a kernel data-path optimisation',
  'option nolinger': GENERIC,
  'option transparent': 'transparent proxying is not carried',
  source: 'choosing the source address towards backends is not carried',
  'option independent-streams': GENERIC,
  'option socket-stats': "statistics are collected by Fulcrum's own counters",
  'option contstats': "statistics are collected by Fulcrum's own counters",
  'http-check disable-on-404': 'not carried: Fulcrum does not drain a backend on a 404 answer',
  'http-check send-state': 'not carried: Fulcrum probes send no state header',
  'server-template': 'server-template creates servers from DNS records at run time; a rule table lists fixed IP addresses',
  'server-state-file-name': 'not applicable: state files belong to the HAProxy process',
  'load-server-state-from-file': 'not applicable: state files belong to the HAProxy process',
  'dynamic-cookie-key': 'HTTP cookie persistence is not carried',
  'email-alert': 'alerts are not part of a rule table',
  'bind-process': 'not applicable: process placement',
  description: 'not carried: a rule table has no description field',
  id: "not carried: numeric proxy ids are HAProxy's",
  'hash-balance-factor': 'bounded-load hashing is not carried',
  'timeout queue': 'queueing is not carried: a backend at its max-connections is skipped, not queued for',
  'timeout connect': 'not carried: a rule table has no connect timeout (health checks use their own timeout)',
  'timeout http-request': HTTP_ONLY,
  'timeout http-keep-alive': HTTP_ONLY,
  'timeout tarpit': HTTP_ONLY,
  'timeout client-fin': 'half-closed connections follow the idle timeout in Fulcrum',
  'timeout server-fin': 'half-closed connections follow the idle timeout in Fulcrum',
  'force-persist': HTTP_ONLY,
  'ignore-persist': HTTP_ONLY,
  persist: GENERIC,
  'rate-limit': 'session rate limits are not carried',
  declare: GENERIC,
  guid: GENERIC,
  'external-check': 'external check scripts are not carried',
  'option external-check': 'external check scripts are not carried',
};

/** Global-section directives with a more specific reason than "process setting". */
export const GLOBAL_REASONS: Record<string, string> = {
  maxconn: 'not applicable: process-wide connection limit (a rule table limits connections per backend)',
  stats: 'not applicable: HAProxy runtime API; Fulcrum manages its appliances over its own channels',
  log: `not applicable: ${LOGGING}`,
  'ssl-default-bind-ciphers': `not applicable: ${TLS}`,
  'ssl-default-bind-options': `not applicable: ${TLS}`,
  'ssl-default-server-ciphers': `not applicable: ${TLS}`,
  'ssl-default-server-options': `not applicable: ${TLS}`,
  'ssl-dh-param-file': `not applicable: ${TLS}`,
  'ssl-default-bind-ciphersuites': `not applicable: ${TLS}`,
};

export const PROCESS_SETTING = 'not applicable: a setting of the HAProxy process, not of a service';

/** Sections that never hold services. */
export const SECTION_REASONS: Record<string, string> = {
  peers: 'not applicable: stick-table replication between HAProxy processes',
  resolvers: 'not carried: a rule table holds IP addresses, names are not resolved',
  userlist: 'HTTP-only: user lists serve HTTP authentication',
  mailers: 'not applicable: e-mail alerts',
  program: 'not applicable: programs run by the HAProxy master',
  'http-errors': 'HTTP-only: error pages',
  ring: 'not applicable: log buffers',
  cache: 'HTTP-only: response cache',
  'log-forward': 'not applicable: syslog forwarding',
  'fcgi-app': 'HTTP-only: FastCGI applications',
  'crt-store': `not applicable: ${TLS}`,
  traces: 'not applicable: debugging traces',
  namespace_list: 'not applicable: network namespaces',
};

export const TLS_REASON = TLS;
export const GENERIC_REASON = GENERIC;
