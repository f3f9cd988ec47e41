/**
 * Which format a configuration is in, from its content (the file name only breaks ties): each
 * format has words no other uses at the start of a line. Refuses to guess when nothing, or more
 * than one format, stands out.
 */

import { ImportError } from './errors.js';
import { FORMATS, type Format } from './formats.js';

const SIGNS: Record<Format, RegExp[]> = {
  haproxy: [
    /^\s*(global|defaults)\s*$/m,
    /^\s*(frontend|backend|listen|defaults)\s+[^\s{;]+\s*$/m,
    /^\s*(bind|balance|default_backend|use_backend|default-server)\s+[^;{]*$/m,
    /^\s*server\s+\S+\s+\S+(\s+[^;{]*)?$/m,
    /^\s*(mode\s+(tcp|http)|option\s+\S+|timeout\s+\S+\s+\S+)\s*$/m,
  ],
  keepalived: [
    /^\s*(virtual_server|virtual_server_group|real_server|vrrp_instance|vrrp_script|vrrp_sync_group|global_defs)\b[^;]*\{?\s*$/m,
    /^\s*(lb_algo|lvs_sched|lb_kind|lvs_method|delay_loop|persistence_timeout|sorry_server)\s/m,
    /^\s*(TCP_CHECK|HTTP_GET|SSL_GET|MISC_CHECK)\s*\{/m,
  ],
  nginx: [
    /^\s*(stream|http|events|upstream\s+\S+)\s*\{/m,
    /;\s*(#.*)?$/m,
    /^\s*(proxy_pass|worker_processes|listen|server_name|proxy_timeout|least_conn|load_module)\s+[^;]*;/m,
  ],
};

export function guessFormat(text: string, file: string): Format {
  const scores = FORMATS.map((format) => ({ format, score: SIGNS[format].filter((sign) => sign.test(text)).length }));
  scores.sort((a, b) => b.score - a.score);
  const [best, second] = scores;
  if (best !== undefined && best.score > 0 && best.score > (second?.score ?? 0)) return best.format;
  const byName = formatFromName(file);
  if (byName !== null && best !== undefined && best.score > 0 && scores.find((s) => s.format === byName)?.score === best.score) return byName;
  throw new ImportError(
    file,
    1,
    1,
    best === undefined || best.score === 0
      ? 'cannot tell the configuration format: this does not look like HAProxy, keepalived or nginx configuration (name it with from: "haproxy", "keepalived" or "nginx")'
      : `cannot tell the configuration format: it looks like ${scores
          .filter((s) => s.score === best.score)
          .map((s) => s.format)
          .join(' and ')} alike (name it with from)`,
  );
}

function formatFromName(file: string): Format | null {
  const name = file.split(/[\\/]/).pop()?.toLowerCase() ?? '';
  if (name.includes('haproxy')) return 'haproxy';
  if (name.includes('keepalived')) return 'keepalived';
  if (name.includes('nginx')) return 'nginx';
  return null;
}
