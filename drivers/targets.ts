/**
 * The target forms every part of the agent accepts (CLI, API, inventory), named once: a local
 * serial device, a console server's port (raw TCP or telnet with RFC 2217), or an SNMP agent.
 * Each driver parses its own form in full; this only tells which driver a target is for.
 */

export type TargetKind = 'serial' | 'console' | 'snmp';

export const TARGET_FORMS = 'serial:/dev/ttyX[?baud=N], tcp://HOST:PORT or telnet://HOST:PORT (a console server), snmp://HOST[:PORT]';

export function targetKind(target: string): TargetKind | null {
  if (/^serial:.+/.test(target)) return 'serial';
  if (/^(tcp|telnet):\/\/.+/.test(target)) return 'console';
  if (/^snmp:\/\/.+/.test(target)) return 'snmp';
  return null;
}
