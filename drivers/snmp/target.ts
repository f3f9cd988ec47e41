import { DriverError } from '../driver.js';

export type SnmpCredentials = { version: '2c'; community: string } | { version: '3'; user: string; authKey: string; privKey: string };

export interface SnmpTarget {
  host: string;
  port: number;
}

/** Parses `snmp://HOST[:PORT]` (port defaults to 161; IPv6 hosts in brackets). */
export function parseSnmpTarget(target: string): SnmpTarget {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new DriverError('badTarget', `${target}: not an SNMP target (expected snmp://HOST[:PORT])`);
  }
  if (url.protocol !== 'snmp:' || !url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash || url.username || url.password) {
    throw new DriverError('badTarget', `${target}: expected snmp://HOST[:PORT] and nothing else`);
  }
  const port = url.port === '' ? 161 : Number(url.port);
  // The URL parser takes 0..65535; no agent listens on 0.
  if (port === 0) throw new DriverError('badTarget', `${target}: port 0 is out of range (1–65535)`);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Checks credentials given on a command line or from the inventory; v3 keys need 8+ characters (RFC 3414). */
export function checkCredentials(c: SnmpCredentials): SnmpCredentials {
  if (c.version === '2c') {
    if (!c.community) throw new DriverError('badTarget', 'SNMP v2c needs a community');
    return c;
  }
  if (!c.user) throw new DriverError('badTarget', 'SNMPv3 needs a user');
  if (c.authKey.length < 8 || c.privKey.length < 8) throw new DriverError('badTarget', 'SNMPv3 auth and priv keys must be at least 8 characters');
  return c;
}
