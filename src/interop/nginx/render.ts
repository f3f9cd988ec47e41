/**
 * A rule table → nginx configuration that `nginx -t` accepts: a `stream` block with one upstream
 * per service (named after it, so the name survives a round trip) and one server per listen
 * address. nginx open source has no active health checks, persistence or sorry server: those
 * are reported, with the closest nginx setting written where one exists.
 */

import { formatDuration } from '../../protocol/rules/duration.js';
import { DEFAULTS, type RuleTable, type Service } from '../../protocol/rules/model.js';
import { ExportReport } from '../report.js';
import { exportWeights } from '../weights.js';

/** Where Debian's libnginx-mod-stream installs the stream module. */
export const DEBIAN_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

export interface NginxOptions {
  /** Directory for `pid` and `error_log` (nginx -t as root opens both); left to nginx's defaults when absent. */
  runtimeDir?: string;
  /** The stream module to load; null for an nginx built with stream (no load_module line). */
  streamModule?: string | null;
}

/** nginx takes any positive weight; this keeps the numbers readable and well inside its int. */
const NGINX_MAX_WEIGHT = 65_535;
/**
 * `hash … consistent` places 160 points on its ring per unit of weight, all built at start-up:
 * weights in the tens of thousands take nginx minutes and gigabytes. Scaled down beyond this.
 */
export const NGINX_MAX_HASH_WEIGHT = 100;

export function renderNginx(table: RuleTable, options: NginxOptions = {}): { text: string; report: ExportReport } {
  const report = new ExportReport();
  const module = options.streamModule === undefined ? DEBIAN_STREAM_MODULE : options.streamModule;
  const head: string[] = [`# Exported from a Fulcrum rule table (${table.services.length} service${table.services.length === 1 ? '' : 's'}).`];
  if (module !== null) head.push(`load_module ${module};`);
  if (options.runtimeDir !== undefined) head.push(`pid ${options.runtimeDir}/nginx.pid;`, `error_log ${options.runtimeDir}/error.log;`);
  head.push('events {}');
  const body = table.services.map((s) => serviceBlocks(s, report)).join('\n\n');
  return { text: `${head.join('\n')}\n\nstream {\n${body}${body === '' ? '' : '\n'}}\n`, report };
}

function serviceBlocks(s: Service, report: ExportReport): string {
  const lines = [`    upstream ${s.name} {`];
  const method = methodLine(s, report);
  if (method !== null) lines.push(`        ${method};`);
  if (s.backends.some((b) => b.maxConnections > 0)) lines.push(`        zone ${s.name} 64k;`);
  const refusesBackup = s.algorithm === 'maglev' || s.algorithm === 'two-choices';
  const weights = exportWeights(s, s.algorithm === 'maglev' ? NGINX_MAX_HASH_WEIGHT : NGINX_MAX_WEIGHT, report);
  notCarried(s, report);
  // nginx refuses an upstream without a primary server: backups alone become ordinary servers.
  const backupsAsPrimaries = s.backends.every((b) => b.backup);
  if (backupsAsPrimaries) report.omit(s.name, 'backends', 'nginx refuses an upstream of backup servers only; they are written as ordinary servers');
  s.backends.forEach((b, i) => {
    const field = `backends[${b.address}]`;
    const backup = b.backup && !backupsAsPrimaries;
    if (backup && refusesBackup) {
      report.omit(s.name, `${field}.backup`, `nginx refuses backup servers with ${method}; this backup is not exported`);
      return;
    }
    const words = [`server ${b.address}`];
    const weight = weights[i]!;
    if (weight > 0 && weight !== DEFAULTS.weight) words.push(`weight=${weight}`);
    if (b.maxConnections > 0) words.push(`max_conns=${b.maxConnections}`);
    // fail_timeout is read in whole seconds.
    if (s.health !== null) words.push(`max_fails=${s.health.fall}`, `fail_timeout=${Math.ceil(s.health.intervalMs / 1_000)}s`);
    if (backup) words.push('backup');
    if (b.state !== 'enabled' || weight === 0) {
      if (b.state === 'drain' || weight === 0) {
        report.omit(
          s.name,
          b.state === 'drain' ? `${field}.state` : `${field}.weight`,
          'nginx has neither drain nor weight 0 in its configuration; written as "down" (no new connections), which reads back as state disabled',
        );
      }
      words.push('down');
    }
    lines.push(`        ${words.join(' ')};`);
  });
  lines.push('    }', '    server {', `        listen ${listenAddress(s, report)}${s.protocol === 'udp' ? ' udp' : ''};`);
  lines.push(`        proxy_pass ${s.name};`, `        proxy_timeout ${formatDuration(s.idleTimeoutMs)};`, '    }');
  return lines.join('\n');
}

/** nginx listens with ipv6only=on, where Linux refuses to bind an IPv4-mapped address: it is the IPv4 one. */
function listenAddress(s: Service, report: ExportReport): string {
  const mapped = /^\[::ffff:([0-9.]+)\]:([0-9]+)$/.exec(s.listen);
  // [::]:P takes IPv4 clients too on a Fulcrum appliance; nginx needs telling.
  if (mapped === null) return s.listen.startsWith('[::]:') ? `${s.listen} ipv6only=off` : s.listen;
  const v4 = `${mapped[1]}:${mapped[2]}`;
  report.omit(s.name, 'listen', `nginx cannot bind the IPv4-mapped address ${s.listen}; written as ${v4}, the address it stands for`);
  return v4;
}

function methodLine(s: Service, report: ExportReport): string | null {
  switch (s.algorithm) {
    case 'round-robin':
    case 'weighted-round-robin':
      return null;
    case 'least-connections':
    case 'weighted-least-connections':
      return 'least_conn';
    case 'two-choices':
      return 'random two least_conn';
    case 'least-response-time':
      report.omit(s.name, 'algorithm', 'least_time needs NGINX Plus; least_conn, the closest, is written');
      return 'least_conn';
    case 'maglev':
      if (s.maglevTableSize !== DEFAULTS.maglevTableSize) report.omit(s.name, 'maglev-table-size', "nginx's consistent hash (ketama) has no table size to set");
      return s.hashKey === '5-tuple' ? 'hash $remote_addr$remote_port consistent' : 'hash $remote_addr consistent';
  }
}

function notCarried(s: Service, report: ExportReport): void {
  if (s.health !== null) {
    report.omit(s.name, 'health', 'nginx open source has no active health checks; passive max_fails/fail_timeout (fall, interval) are written instead');
  }
  if (s.persistence !== null) {
    report.omit(
      s.name,
      'persistence',
      'nginx open source has no client persistence in stream; use algorithm: maglev (hash $remote_addr consistent) for stickiness',
    );
  }
  if (s.fallback !== null) report.omit(s.name, 'fallback', 'nginx has no sorry server apart from backup servers; the fallback is not exported');
}
