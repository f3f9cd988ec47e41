import { configId } from '../../protocol/rules/index.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { createLogger } from '../../log/logger.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { readRules } from '../rules-input.js';

export interface SimStartOptions {
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
}

function rate(flag: string, text: string): number {
  const v = Number(text);
  if (!(v >= 0 && v < 1)) throw new CliError(`${flag}: must be a probability in [0, 1), got ${text}`, EXIT.usage);
  return v;
}

export async function start(opts: SimStartOptions): Promise<void> {
  const maxFlows = Number(opts.maxFlows);
  if (!Number.isInteger(maxFlows) || maxFlows < 1 || maxFlows > 16_777_216) throw new CliError(`--max-flows: must be an integer 1..16777216, got ${opts.maxFlows}`, EXIT.usage);
  const baud = Number(opts.baud);
  if (!Number.isInteger(baud) || baud < 300 || baud > 4_000_000) throw new CliError(`--baud: must be an integer 300..4000000, got ${opts.baud}`, EXIT.usage);
  if (opts.serialLink && !opts.serial) throw new CliError('--serial-link needs --serial', EXIT.usage);
  const serial = opts.serial
    ? { baud, noiseBer: rate('--noise-ber', opts.noiseBer), noiseDrop: rate('--noise-drop', opts.noiseDrop), ...(opts.serialLink ? { link: opts.serialLink } : {}) }
    : undefined;
  const seed = opts.rules ? readRules(opts.rules) : undefined;
  const log = createLogger(`sim:${opts.name}`);
  let sim: SimulatedAppliance;
  try {
    sim = await SimulatedAppliance.start({ name: opts.name, ...(seed ? { rules: seed } : {}), ...(opts.state ? { stateDir: opts.state } : {}), listen: opts.listen, maxFlows, ...(serial ? { serial } : {}) });
  } catch (err) {
    throw new CliError(`sim ${opts.name}: ${(err as Error).message}`, EXIT.failure);
  }
  sim.onEvent((e) => log.info(e, e.type));
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
    process.stdout.write(`appliance ${info.name} running config ${info.configId}\n`);
    for (const s of info.services) process.stdout.write(`  ${s.name}: ${s.protocol} ${opts.listen ? s.listen : `${s.listen} (not listening)`}\n`);
    if (info.serial) process.stdout.write(`  console: ${info.serial} at ${baud} baud (fulcrum appliance info --to serial:${info.serial}?baud=${baud})\n`);
    process.stdout.write('Ctrl-C stops it.\n');
  }
  // Keep the process alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}
