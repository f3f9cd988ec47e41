/**
 * What the simulator's SNMP agent is asked to serve, and the parsing of the CLI's spellings of it
 * (`--snmp [HOST:]PORT`, `--trap-to HOST:PORT`). Errors are plain messages for a usage error.
 */

export interface SnmpUser {
  name: string;
  /** SHA-1 authentication passphrase (at least 8 characters, as RFC 3414 and Net-SNMP require). */
  authKey: string;
  /** AES-128 privacy passphrase (at least 8 characters). */
  privKey: string;
  /** May this user write (SET)? */
  write: boolean;
}

export interface SnmpOptions {
  host: string;
  /** UDP port; 0 picks a free one (the ready line tells which). */
  port: number;
  /** v2c read-only community; no v2c at all when neither community is given. */
  community?: string;
  /** v2c community that may also write. */
  writeCommunity?: string;
  /** The SNMPv3 user (authPriv, SHA + AES). */
  v3User?: SnmpUser;
  /** Where notifications go. */
  trapTo?: { host: string; port: number };
  /**
   * The largest SNMP message the agent answers with (RFC 3417's msgMaxSize of a small box);
   * default: the largest UDP payload. A request whose response would be larger gets tooBig —
   * how a manager learns to split its SETs.
   */
  maxMessageSize?: number;
  /** MIB-II sysContact and sysLocation. */
  contact?: string;
  location?: string;
  /**
   * Where the data interface's octet counters start (IF-MIB ifInOctets/ifHCInOctets; default
   * 0). Starting near 2^32 makes ifInOctets wrap after a little traffic: a poller's wrap
   * handling can then be tested in seconds, against the real agent.
   */
  interfaceCounterBase?: bigint;
}

function port(text: string, what: string, allowZero: boolean): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535 || (n === 0 && !allowZero)) throw new Error(`${what}: port must be ${allowZero ? '0' : '1'}..65535, got "${text}"`);
  return n;
}

/** HOST:PORT, [V6]:PORT or (when `defaultHost` is given) PORT alone. */
export function parseHostPort(text: string, what: string, defaultHost: string | null, allowZero: boolean): { host: string; port: number } {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: port(bracketed[2]!, what, allowZero) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) {
    if (defaultHost === null) throw new Error(`${what}: expected HOST:PORT, got "${text}"`);
    return { host: defaultHost, port: port(text, what, allowZero) };
  }
  const host = text.slice(0, colon);
  if (host === '' || host.includes(':')) throw new Error(`${what}: expected HOST:PORT (an IPv6 host in brackets), got "${text}"`);
  return { host, port: port(text.slice(colon + 1), what, allowZero) };
}

export function formatHostPort(host: string, p: number): string {
  return host.includes(':') ? `[${host}]:${p}` : `${host}:${p}`;
}

/** Problems with a set of options, for a usage error; [] when they make sense together. */
export function snmpOptionProblems(o: SnmpOptions): string[] {
  const problems: string[] = [];
  if (o.community === undefined && o.writeCommunity === undefined && o.v3User === undefined) {
    problems.push('--snmp needs a way in: --community, --write-community or --v3-user');
  }
  if (o.community === '') problems.push('--community must not be empty');
  if (o.writeCommunity === '') problems.push('--write-community must not be empty');
  const u = o.v3User;
  if (u) {
    if (u.name === '' || u.name.length > 32) problems.push('--v3-user must be 1..32 characters');
    if (u.authKey.length < 8) problems.push('--v3-auth must be at least 8 characters');
    if (u.privKey.length < 8) problems.push('--v3-priv must be at least 8 characters');
  }
  return problems;
}
