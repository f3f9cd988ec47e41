/**
 * Targets → drivers, for every part of the agent that talks to appliances (CLI, API, poller).
 * A target is `serial:/dev/ttyX[?baud=N]`, a console server's port (`tcp://HOST:PORT` raw,
 * `telnet://HOST:PORT` with RFC 2217, both `[?baud=N]`), `snmp://HOST[:PORT]` or an HAProxy box
 * (`haproxy://HOST:PORT`, `haproxy:///path/to/master.sock`); SNMP needs credentials.
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import { DriverError } from '../../drivers/driver.js';
import type { SnmpCredentials } from '../../drivers/snmp/target.js';
import { TARGET_FORMS } from '../../drivers/targets.js';

/** The inventory's credentials (src/store/inventory.ts) as a driver takes them; null for none. */
export function storedCredentials(credentials: object): SnmpCredentials | null {
  const c = credentials as { community?: string; user?: string; authKey?: string; privKey?: string };
  if (c.community) return { version: '2c', community: c.community };
  if (c.user) return { version: '3', user: c.user, authKey: c.authKey ?? '', privKey: c.privKey ?? '' };
  return null;
}

/**
 * Opens a driver for a target and the credentials it needs (none for serial). Throws
 * DriverError: 'badTarget' for a target it does not understand or SNMP without credentials,
 * 'unreachable' when the device cannot be opened.
 */
export async function connectTarget(target: string, credentials: SnmpCredentials | null): Promise<ApplianceDriver> {
  if (target.startsWith('serial:')) {
    const { SerialDriver } = await import('../../drivers/serial/serial-driver.js');
    return SerialDriver.connect(target);
  }
  if (target.startsWith('tcp:') || target.startsWith('telnet:')) {
    const { connectConsole } = await import('../../drivers/console/connect.js');
    const { createLogger } = await import('../log/logger.js');
    // What the console server did not do as asked (a baud it refused, a setting it changed) is
    // worth an operator's look, not a refusal: the line may still work as the server set it.
    const log = createLogger('console');
    return connectConsole(target, { onProblem: (message) => log.warn({ target }, message) });
  }
  if (target.startsWith('snmp:')) {
    if (!credentials) throw new DriverError('badTarget', `${target}: SNMP needs credentials (a community, or a v3 user with auth and priv keys)`);
    const { SnmpDriver } = await import('../../drivers/snmp/snmp-driver.js');
    return SnmpDriver.connect(target, credentials);
  }
  if (target.startsWith('haproxy:')) {
    const { HaproxyDriver } = await import('../../drivers/haproxy/haproxy-driver.js');
    return HaproxyDriver.connect(target);
  }
  throw new DriverError('badTarget', `${target}: unknown target; expected ${TARGET_FORMS}`);
}
