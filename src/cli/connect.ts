import type { ApplianceDriver } from '../../drivers/driver.js';
import { DriverError } from '../../drivers/driver.js';
import type { SnmpCredentials } from '../../drivers/snmp/target.js';
import { connectTarget as openTarget, storedCredentials } from '../provision/connect.js';
import { CliError, EXIT, exitForDriverError, unknownName } from './exit-codes.js';
import { SECRET_ENV, secretEnv, secretOption } from './secret-input.js';
import { TARGET_FORMS, targetKind } from '../../drivers/targets.js';

/** The inventory's credentials as a driver takes them (src/provision/connect.ts, shared with the API). */
export { storedCredentials };

/** The SNMP credential options (src/cli/options.ts credentialOptions). */
export interface CredentialFlags {
  community?: string;
  communityFile?: string;
  v3User?: string;
  v3Auth?: string;
  v3AuthFile?: string;
  v3Priv?: string;
  v3PrivFile?: string;
}

/** The options every command that talks to an appliance takes. */
export interface TargetOptions extends CredentialFlags {
  to: string;
  db?: string;
  /** Open the console here even when a running agent holds it (--direct). */
  direct?: boolean;
  /** The remote agent to work against (--context); default $FULCRUM_CONTEXT, then the current context. */
  context?: string;
}

const CREDENTIALS_HELP = `--community-file FILE ($${SECRET_ENV.community}), or --v3-user with --v3-auth-file/--v3-priv-file ($${SECRET_ENV.v3Auth}/$${SECRET_ENV.v3Priv})`;

interface Resolved {
  target: string;
  credentials: SnmpCredentials | null;
}

/**
 * What `--to` names: a target (`serial:/dev/ttyX[?baud=N]`, `snmp://HOST[:PORT]`) or the name
 * of an appliance in the inventory, whose stored target and credentials are used. Credentials
 * on the command line win over stored ones; the environment's come last.
 */
async function resolve(opts: TargetOptions): Promise<Resolved> {
  let target = opts.to;
  let stored: SnmpCredentials | null = null;
  if (!/^[a-z]+:/.test(target)) {
    const { openStore } = await import('../store/index.js');
    const store = await openStore(opts.db ? { file: opts.db } : {});
    try {
      const record = await store.inventory.get(target);
      if (!record) throw new CliError(unknownName(target), EXIT.invalidInput);
      target = record.target;
      stored = storedCredentials(record.credentials);
    } finally {
      await store.close();
    }
  }
  return { target, credentials: fromFlags(opts) ?? stored ?? fromEnvironment() };
}

/**
 * The credentials the command line gives: a secret from its flag or the file its file flag
 * names; with --v3-user, the v3 pass phrases may also come from the environment.
 */
export function fromFlags(opts: CredentialFlags): SnmpCredentials | null {
  const community = secretOption('--community', opts.community, '--community-file', opts.communityFile);
  const auth = secretOption('--v3-auth', opts.v3Auth, '--v3-auth-file', opts.v3AuthFile);
  const priv = secretOption('--v3-priv', opts.v3Priv, '--v3-priv-file', opts.v3PrivFile);
  if (opts.v3User || auth || priv) {
    const authKey = auth ?? secretEnv(SECRET_ENV.v3Auth);
    const privKey = priv ?? secretEnv(SECRET_ENV.v3Priv);
    if (!opts.v3User || !authKey || !privKey) {
      throw new CliError(
        `SNMPv3 needs --v3-user with an authentication pass phrase (--v3-auth-file FILE, $${SECRET_ENV.v3Auth} or --v3-auth) and a privacy pass phrase (--v3-priv-file FILE, $${SECRET_ENV.v3Priv} or --v3-priv)`,
        EXIT.usage,
      );
    }
    return { version: '3', user: opts.v3User, authKey, privKey };
  }
  return community ? { version: '2c', community } : null;
}

/** The environment's v2c community: used when neither the command line nor the inventory gives credentials. */
export function fromEnvironment(): SnmpCredentials | null {
  const community = secretEnv(SECRET_ENV.community);
  return community ? { version: '2c', community } : null;
}

/**
 * Opens the driver a target names. A console that a running `monitor` or `serve` on this machine
 * holds is reached through that process (src/control), unless --direct.
 */
export async function connect(opts: TargetOptions): Promise<ApplianceDriver> {
  if (opts.direct !== true) {
    const { chosenContext } = await import('./contexts.js');
    const remote = chosenContext(opts.context);
    if (remote) return connectRemote(remote, opts.to);
  }
  const { target, credentials } = await resolve(opts);
  if (opts.direct !== true) {
    const { findOwner } = await import('../control/owners.js');
    const held = findOwner(target);
    if (held) {
      const { connectThroughOwner } = await import('../control/remote-driver.js');
      try {
        return await connectThroughOwner(held.owner, held.name);
      } catch (err) {
        throw asCliError(err);
      }
    }
  }
  return connectTarget(target, credentials);
}

/** An appliance of a remote agent's inventory, through its API (src/control/http-channel.ts). */
async function connectRemote(remote: { name: string; endpoint: import('../control/http-channel.js').AgentEndpoint }, to: string): Promise<ApplianceDriver> {
  if (/^[a-z]+:/.test(to))
    throw new CliError(
      `--to ${to}: with context "${remote.name}", --to names an appliance of that agent's inventory (or pass --direct to work here)`,
      EXIT.usage,
    );
  const [{ HttpChannel }, { driverOver }] = await Promise.all([import('../control/http-channel.js'), import('../control/remote-driver.js')]);
  try {
    return await driverOver(new HttpChannel(remote.endpoint, to));
  } catch (err) {
    throw asCliError(err);
  }
}

/** Opens a driver for a target string and the credentials it needs (none for serial). */
export async function connectTarget(target: string, credentials: SnmpCredentials | null): Promise<ApplianceDriver> {
  // The same checks as src/provision/connect.ts, worded for the command line's flags.
  if (target.startsWith('snmp:') && !credentials) throw new CliError(`${target}: SNMP needs credentials: ${CREDENTIALS_HELP}`, EXIT.usage);
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
  const code = exitForDriverError(err.code, err.remote);
  return new CliError(err.remote ? `refused (${err.remote}): ${err.message}` : err.message, code);
}
