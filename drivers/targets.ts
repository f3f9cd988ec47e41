/**
 * The target forms every part of the agent accepts (CLI, API, inventory), named once: a local
 * serial device, a console server's port (raw TCP or telnet with RFC 2217), an SNMP agent, or
 * an HAProxy box's runtime API (its master CLI or a stats socket, TCP or Unix).
 * Each driver parses its own form in full; this only tells which driver a target is for.
 */

export type TargetKind = 'serial' | 'console' | 'snmp' | 'haproxy';

export const TARGET_FORMS =
  'serial:/dev/ttyX[?baud=N], tcp://HOST:PORT or telnet://HOST:PORT (a console server), snmp://HOST[:PORT], haproxy://HOST:PORT or haproxy:///path/to/master.sock[?config=FILE] (an HAProxy box)';

export function targetKind(target: string): TargetKind | null {
  if (/^serial:.+/.test(target)) return 'serial';
  if (/^(tcp|telnet):\/\/.+/.test(target)) return 'console';
  if (/^snmp:\/\/.+/.test(target)) return 'snmp';
  if (/^haproxy:\/\/.+/.test(target)) return 'haproxy';
  return null;
}
