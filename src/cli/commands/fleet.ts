import path from 'node:path';
import { SimulatedAppliance, type ReadyInfo } from '../../../sim/simulated-appliance.js';
import { createLogger } from '../../log/logger.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';
import { readRules } from '../rules-input.js';
import { firmwareOptions, snmpOptions, type SimStartOptions } from './sim.js';

export interface FleetOptions extends Omit<SimStartOptions, 'name' | 'noiseBer' | 'noiseDrop' | 'serialLink'> {
  count: string;
  prefix: string;
}

/**
 * N simulated appliances in one process, for tests and benchmarks: each its own SNMP agent
 * (consecutive ports from --snmp's, or free ones with port 0), its own console with --serial,
 * its own state directory under --state. Listeners are off unless --listen: the appliances of a
 * fleet share one rule table and its listen addresses could only be bound once.
 */
export async function fleet(opts: FleetOptions): Promise<void> {
  const count = Number(opts.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new CliError(`--count: must be an integer 1..10000, got ${opts.count}`, EXIT.usage);
  const snmp = snmpOptions({ ...opts, name: opts.prefix, noiseBer: '0', noiseDrop: '0', listen: opts.listen === true });
  const baud = Number(opts.baud);
  const seed = opts.rules ? readRules(opts.rules) : undefined;
  const firmware = firmwareOptions(opts);
  const log = createLogger('fleet');
  const sims: SimulatedAppliance[] = [];
  const stopAll = async () => {
    await Promise.all(sims.map((s) => s.stop()));
  };
  try {
    for (let i = 1; i <= count; i++) {
      const name = `${opts.prefix}${i}`;
      sims.push(
        await SimulatedAppliance.start({
          name,
          ...firmware,
          ...(seed ? { rules: seed } : {}),
          ...(opts.state ? { stateDir: path.join(opts.state, name) } : {}),
          listen: opts.listen === true,
          maxFlows: 4_096,
          ...(opts.serial ? { serial: { baud } } : {}),
          ...(snmp ? { snmp: { ...snmp, port: snmp.port === 0 ? 0 : snmp.port + i - 1, onProblem: (m: string) => log.debug({ name }, m) } } : {}),
        }),
      );
    }
  } catch (err) {
    await stopAll();
    throw new CliError(`fleet: ${(err as Error).message}`, EXIT.failure);
  }
  const ready: ReadyInfo[] = sims.map((s) => s.readyInfo());
  if (opts.json) printJson({ appliances: ready });
  else {
    process.stdout.write(
      `${table(
        ['name', 'config id', 'snmp', 'serial'],
        ready.map((r) => [r.name, r.configId.slice(0, 12), r.snmp ?? '-', r.serial ?? '-']),
      )}\nCtrl-C stops them.\n`,
    );
  }
  const stop = async () => {
    await stopAll();
    process.exit(EXIT.ok);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  setInterval(() => undefined, 1 << 30);
}
