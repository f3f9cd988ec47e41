/**
 * The options many commands share, defined once: the agent's database, JSON output, the target
 * appliance and its SNMP credentials (and where else a secret may come from than argv).
 */
import type { Command } from 'commander';
import { Option } from './commander.js';
import { TARGET_FORMS } from '../../drivers/targets.js';

export const TARGET_HELP = `appliance: ${TARGET_FORMS}, or an inventory name`;

/** --db: the agent's database. `purpose` says what a command reads it for, when that is not obvious. */
export function dbOption(purpose?: string): InstanceType<typeof Option> {
  return new Option('--db <file>', `the agent's database${purpose ? `, ${purpose}` : ''} (default $FULCRUM_HOME/fulcrum.db)`);
}

/** --json; `shape` describes what is printed when it is more than the human output as JSON. */
export function jsonOption(shape = 'machine-readable output'): InstanceType<typeof Option> {
  return new Option('--json', shape);
}

/** The SNMP credentials, on every command that may talk to an SNMP appliance. */
export function credentialOptions(cmd: Command): Command {
  return cmd
    .option('--community <name>', 'SNMP v2c community')
    .option('--v3-user <user>', 'SNMPv3 user (authPriv, SHA + AES)')
    .option('--v3-auth <key>', 'SNMPv3 authentication pass phrase')
    .option('--v3-priv <key>', 'SNMPv3 privacy pass phrase');
}

/** --to, the SNMP credentials and --db (for inventory names), on every command that talks to one appliance. */
export function targetOptions(cmd: Command): Command {
  return credentialOptions(cmd.requiredOption('--to <target>', TARGET_HELP)).addOption(dbOption('for inventory names'));
}
