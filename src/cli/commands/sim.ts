import { readFileSync } from 'node:fs';
import { parseVersion } from '../../protocol/image/image.js';
import { decodePublicKeyPem } from '../../protocol/host/node-crypto.js';
import { configId } from '../../protocol/rules/index.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { parseHostPort, snmpOptionProblems, type SnmpOptions } from '../../../sim/snmp/options.js';
import { GroupOptionError, groupOptions, type GroupFlags } from '../../../sim/failover/group-options.js';
import { createLogger } from '../../log/logger.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { readRules } from '../rules-input.js';

export interface SimStartOptions extends GroupFlags {
  rules?: string;
  name: string;
  state?: string;
  json?: boolean;
  listen: boolean;
  maxFlows: string;
  serial?: boolean;
  serialLink?: string;
  baud: string;
  noiseBer: string;
  noiseDrop: string;
  snmp?: string;
  community?: string;
  writeCommunity?: string;
  v3User?: string;
  v3Auth?: string;
  v3Priv?: string;
  v3Write?: boolean;
  trapTo?: string;
  snmpContact?: string;
  snmpLocation?: string;
  ifCounterBase?: string;
  trustKey?: string[];
  firmwareVersion?: string;
}

/** --trust-key files (PEM public keys) and --firmware-version, as the simulator takes them; bad input is a usage error. */
export function firmwareOptions(opts: { trustKey?: string[]; firmwareVersion?: string }): { trustKeys: Uint8Array[]; firmwareVersion?: string } {
  const trustKeys = (opts.trustKey ?? []).map((file) => {
    try {
      return decodePublicKeyPem(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CliError(`--trust-key ${file}: ${(err as Error).message}`, EXIT.invalidInput);
    }
  });
  if (opts.firmwareVersion !== undefined) {
    try {
      parseVersion(opts.firmwareVersion);
    } catch (err) {
      throw new CliError(`--firmware-version: ${(err as Error).message}`, EXIT.usage);
    }
  }
  return { trustKeys, ...(opts.firmwareVersion !== undefined ? { firmwareVersion: opts.firmwareVersion } : {}) };
}

export function rate(flag: string, text: string): number {
  const v = Number(text);
  if (!(v >= 0 && v < 1)) throw new CliError(`${flag}: must be a probability in [0, 1), got ${text}`, EXIT.usage);
  return v;
}

function counterBase(text: string): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) >= 1n << 64n) throw new Error(`--if-counter-base: must be an integer 0..2^64-1, got "${text}"`);
  return BigInt(text);
}

/** The SNMP agent's options from the flags, or undefined without --snmp; usage errors as CliError. */
export function snmpOptions(opts: SimStartOptions): SnmpOptions | undefined {
  if (opts.snmp === undefined) {
    const flags = {
      community: '--community',
      writeCommunity: '--write-community',
      v3User: '--v3-user',
      v3Auth: '--v3-auth',
      v3Priv: '--v3-priv',
      v3Write: '--v3-write',
      trapTo: '--trap-to',
      snmpContact: '--snmp-contact',
      snmpLocation: '--snmp-location',
      ifCounterBase: '--if-counter-base',
    } as const;
    const given = (Object.keys(flags) as (keyof typeof flags)[]).find((k) => opts[k] !== undefined);
    if (given) throw new CliError(`${flags[given]} needs --snmp`, EXIT.usage);
    return undefined;
  }
  const v3 = [opts.v3User, opts.v3Auth, opts.v3Priv];
  if (v3.some((x) => x !== undefined) && v3.some((x) => x === undefined)) throw new CliError('--v3-user, --v3-auth and --v3-priv go together', EXIT.usage);
  if (opts.v3Write && opts.v3User === undefined) throw new CliError('--v3-write needs --v3-user', EXIT.usage);
  let options: SnmpOptions;
  try {
    const at = parseHostPort(opts.snmp, '--snmp', '127.0.0.1', true);
    options = {
      host: at.host,
      port: at.port,
      ...(opts.community !== undefined ? { community: opts.community } : {}),
      ...(opts.writeCommunity !== undefined ? { writeCommunity: opts.writeCommunity } : {}),
      ...(opts.v3User !== undefined ? { v3User: { name: opts.v3User, authKey: opts.v3Auth!, privKey: opts.v3Priv!, write: opts.v3Write === true } } : {}),
      ...(opts.trapTo !== undefined ? { trapTo: parseHostPort(opts.trapTo, '--trap-to', null, false) } : {}),
      ...(opts.snmpContact !== undefined ? { contact: opts.snmpContact } : {}),
      ...(opts.snmpLocation !== undefined ? { location: opts.snmpLocation } : {}),
      ...(opts.ifCounterBase !== undefined ? { interfaceCounterBase: counterBase(opts.ifCounterBase) } : {}),
    };
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
  const problems = snmpOptionProblems(options);
  if (problems.length > 0) throw new CliError(problems.join('\n'), EXIT.usage);
  return options;
}

export async function start(opts: SimStartOptions): Promise<void> {
  const maxFlows = Number(opts.maxFlows);
  if (!Number.isInteger(maxFlows) || maxFlows < 1 || maxFlows > 16_777_216)
    throw new CliError(`--max-flows: must be an integer 1..16777216, got ${opts.maxFlows}`, EXIT.usage);
  const baud = Number(opts.baud);
  if (!Number.isInteger(baud) || baud < 300 || baud > 4_000_000) throw new CliError(`--baud: must be an integer 300..4000000, got ${opts.baud}`, EXIT.usage);
  if (opts.serialLink && !opts.serial) throw new CliError('--serial-link needs --serial', EXIT.usage);
  const serial = opts.serial
    ? {
        baud,
        noiseBer: rate('--noise-ber', opts.noiseBer),
        noiseDrop: rate('--noise-drop', opts.noiseDrop),
        ...(opts.serialLink ? { link: opts.serialLink } : {}),
      }
    : undefined;
  const snmp = snmpOptions(opts);
  const seed = opts.rules ? readRules(opts.rules) : undefined;
  const firmware = firmwareOptions(opts);
  let group: ReturnType<typeof groupOptions>;
  try {
    group = groupOptions(opts);
  } catch (err) {
    if (err instanceof GroupOptionError) throw new CliError(err.message, err.message.startsWith('--group-key ') ? EXIT.invalidInput : EXIT.usage);
    throw err;
  }
  if (group && !opts.listen) throw new CliError('--group needs the listeners: it cannot go with --no-listen', EXIT.usage);
  const log = createLogger(`sim:${opts.name}`);
  let sim: SimulatedAppliance;
  try {
    sim = await SimulatedAppliance.start({
      name: opts.name,
      ...firmware,
      ...(seed ? { rules: seed } : {}),
      ...(opts.state ? { stateDir: opts.state } : {}),
      listen: opts.listen,
      maxFlows,
      ...(serial ? { serial } : {}),
      ...(snmp ? { snmp: { ...snmp, onProblem: (message: string) => log.debug(message) } } : {}),
      ...(group ? { group } : {}),
    });
  } catch (err) {
    throw new CliError(`sim ${opts.name}: ${(err as Error).message}`, EXIT.failure);
  }
  sim.onEvent((e) => log.info(e, e.type));
  // A group member's state changes are what scripts wait for: with --json they follow the ready line.
  if (opts.json && group)
    sim.onEvent((e) => {
      if (e.type.startsWith('failover')) printJson(e);
    });
  const info = sim.readyInfo();
  if (seed && configId(seed) !== info.configId) {
    log.warn({ stored: info.configId, seed: configId(seed) }, 'the startup config in the state directory runs; --rules only seeds a fresh appliance');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await sim.stop();
    process.exit(EXIT.ok);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (opts.json) {
    printJson(info);
  } else {
    process.stdout.write(`appliance ${info.name} firmware ${info.firmware} running config ${info.configId}\n`);
    for (const s of info.services) process.stdout.write(`  ${s.name}: ${s.protocol} ${opts.listen ? s.listen : `${s.listen} (not listening)`}\n`);
    if (info.serial) process.stdout.write(`  console: ${info.serial} at ${baud} baud (fulcrum appliance info --to serial:${info.serial}?baud=${baud})\n`);
    if (info.group) process.stdout.write(`  group ${info.group.name}: unit ${info.group.unit}, ${info.group.state}\n`);
    if (info.snmp)
      process.stdout.write(
        `  snmp: udp ${info.snmp}${snmp?.v3User ? ` (v3 user ${snmp.v3User.name}, authPriv SHA/AES)` : ''}${snmp?.community !== undefined || snmp?.writeCommunity !== undefined ? ' (v2c)' : ''}\n`,
      );
    process.stdout.write('Ctrl-C stops it.\n');
  }
  // Keep the process alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}
