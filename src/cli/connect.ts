import type { ApplianceDriver } from '../../drivers/driver.js';
import { DriverError } from '../../drivers/driver.js';
import type { SnmpCredentials } from '../../drivers/snmp/target.js';
import { connectTarget as openTarget, storedCredentials } from '../provision/connect.js';
import { CliError, EXIT } from './exit-codes.js';
import { TARGET_FORMS, targetKind } from '../../drivers/targets.js';

/** The inventory's credentials as a driver takes them (src/provision/connect.ts, shared with the API). */
export { storedCredentials };

/** The options every command that talks to an appliance takes. */
export interface TargetOptions {
  to: string;
  community?: string;
  v3User?: string;
  v3Auth?: string;
  v3Priv?: string;
  db?: string;
}

interface Resolved {
  target: string;
  credentials: SnmpCredentials | null;
}

/**
 * What `--to` names: a target (`serial:/dev/ttyX[?baud=N]`, `snmp://HOST[:PORT]`) or the name
 * of an appliance in the inventory, whose stored target and credentials are used. Credentials
 * on the command line win over stored ones.
 */
async function resolve(opts: TargetOptions): Promise<Resolved> {
  let target = opts.to;
  let stored: SnmpCredentials | null = null;
  if (!/^[a-z]+:/.test(target)) {
    const { openStore } = await import('../store/index.js');
    const store = openStore(opts.db ? { file: opts.db } : {});
    try {
      const record = store.inventory.get(target);
      if (!record) throw new CliError(`${target}: no such appliance in the inventory (fulcrum appliance list)`, EXIT.usage);
      target = record.target;
      stored = storedCredentials(record.credentials);
    } finally {
      store.close();
    }
  }
  return { target, credentials: fromFlags(opts) ?? stored };
}

export function fromFlags(opts: Omit<TargetOptions, 'to'>): SnmpCredentials | null {
  if (opts.v3User || opts.v3Auth || opts.v3Priv) {
    if (!opts.v3User || !opts.v3Auth || !opts.v3Priv) throw new CliError('SNMPv3 needs --v3-user, --v3-auth and --v3-priv together', EXIT.usage);
    return { version: '3', user: opts.v3User, authKey: opts.v3Auth, privKey: opts.v3Priv };
  }
  return opts.community ? { version: '2c', community: opts.community } : null;
}

/** Opens the driver a target names. */
export async function connect(opts: TargetOptions): Promise<ApplianceDriver> {
  const { target, credentials } = await resolve(opts);
  return connectTarget(target, credentials);
}

/** Opens a driver for a target string and the credentials it needs (none for serial). */
export async function connectTarget(target: string, credentials: SnmpCredentials | null): Promise<ApplianceDriver> {
  // The same checks as src/provision/connect.ts, worded for the command line's flags.
  if (target.startsWith('snmp:') && !credentials) throw new CliError(`${target}: SNMP needs --community, or --v3-user/--v3-auth/--v3-priv`, EXIT.usage);
  if (targetKind(target) === null) {
    throw new CliError(`${target}: unknown target; expected ${TARGET_FORMS}, or an inventory name`, EXIT.usage);
  }
  try {
    return await openTarget(target, credentials);
  } catch (err) {
    throw asCliError(err);
  }
}

/** Runs `work` against a connected driver and always closes it; driver errors become exit codes. */
export async function withDriver<T>(opts: TargetOptions, work: (d: ApplianceDriver) => Promise<T>): Promise<T> {
  const driver = await connect(opts);
  try {
    return await work(driver);
  } catch (err) {
    throw asCliError(err);
  } finally {
    await driver.close();
  }
}

export function asCliError(err: unknown): unknown {
  if (!(err instanceof DriverError)) return err;
  const code = err.code === 'unreachable' ? EXIT.unreachable : err.code === 'refused' ? EXIT.refused : EXIT.usage;
  return new CliError(err.remote ? `refused (${err.remote}): ${err.message}` : err.message, code);
}
