import { DriverError } from '../driver.js';
import { BAUDS } from '../serial/target.js';

/**
 * Console-server targets: `tcp://HOST:PORT[?baud=N]` (a raw TCP port) and
 * `telnet://HOST:PORT[?baud=N]` (telnet with RFC 2217). HOST is a name, an IPv4 address or an
 * IPv6 address in brackets. The baud rate is the one serial targets accept; on telnet:// the
 * console server's port is set to it, on tcp:// nothing can set it, so there it only tells the
 * transport how fast the line is (its retransmission timer), and must match the server's setting.
 */

export interface ConsoleTarget {
  kind: 'tcp' | 'telnet';
  host: string;
  port: number;
  baud: number;
}

/** The rates serial targets accept (drivers/serial/target.ts); a test keeps the two the same. */

const DEFAULT_BAUD = 115_200;
const FORM = 'tcp://HOST:PORT[?baud=N] or telnet://HOST:PORT[?baud=N]';

export const isConsoleTarget = (target: string) => target.startsWith('tcp://') || target.startsWith('telnet://');

export function parseConsoleTarget(target: string): ConsoleTarget {
  const bad = (why: string) => new DriverError('badTarget', `${target}: ${why}`);
  const scheme = /^(tcp|telnet):\/\//.exec(target);
  if (!scheme) throw bad(`not a console-server target (expected ${FORM})`);
  const kind = scheme[1] as ConsoleTarget['kind'];
  const rest = target.slice(scheme[0].length);
  const q = rest.indexOf('?');
  const authority = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);

  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#[\]@]+)(?::(.*))?$/.exec(authority);
  if (!m) throw bad(authority === '' ? 'the host is missing' : `"${authority}" is not HOST:PORT (an IPv6 address goes in brackets: [::1]:PORT; no path)`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  if (m[2] === undefined || m[2] === '')
    throw bad(`the port is missing: a console server has no standard port (ser2net, Opengear, Lantronix each use their own), write ${kind}://${m[1]}:PORT`);
  if (m[2].includes(':')) throw bad(`"${authority}" is not HOST:PORT: an IPv6 address goes in brackets, as in [fd00::1]:PORT`);
  if (!/^\d+$/.test(m[2])) throw bad(`the port must be a number, not "${m[2]}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw bad(`port ${m[2]} is out of range (1–65535)`);

  let baud = DEFAULT_BAUD;
  if (query !== undefined) {
    const params = new URLSearchParams(query);
    for (const key of new Set(params.keys())) {
      if (key !== 'baud') throw bad(`unknown parameter "${key}" (only baud is understood)`);
      if (params.getAll(key).length > 1) throw bad(`baud is given more than once`);
    }
    const value = params.get('baud');
    if (value !== null) {
      baud = Number(value);
      if (!BAUDS.has(baud)) throw bad(`baud must be one of ${[...BAUDS].join(', ')}`);
    }
  }
  return { kind, host, port, baud };
}
