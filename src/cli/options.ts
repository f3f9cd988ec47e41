/**
 * The options many commands share, defined once: the agent's database, JSON output, the target
 * appliance and its SNMP credentials (and where else a secret may come from than argv).
 */
import type { Command } from 'commander';
import { Option } from './commander.js';
import { TARGET_FORMS } from '../../drivers/targets.js';
import { SECRET_ENV } from './secret-env.js';
import { parseDuration } from '../protocol/rules/duration.js';
import { CliError, EXIT } from './exit-codes.js';

export const TARGET_HELP = `appliance: ${TARGET_FORMS}, or an inventory name`;

/**
 * --db: the agent's store, a SQLite file or a postgres:// URL. `purpose` says what a command
 * reads it for, when that is not obvious. Every command with it also takes --store, the same
 * thing under the name server operators look for (storeAliases).
 */
export function dbOption(purpose?: string): InstanceType<typeof Option> {
  return new Option(
    '--db <file|url>',
    `the agent's store${purpose ? `, ${purpose}` : ''}: a SQLite file or postgres://… (default $FULCRUM_STORE, else $FULCRUM_HOME/fulcrum.db)`,
  );
}

/** Gives every command with --db a --store too; `applyStoreAlias` (a preAction hook) makes them one option. */
export function storeAliases(root: Command): void {
  const visit = (cmd: Command) => {
    if (cmd.options.some((o) => o.long === '--db') && !cmd.options.some((o) => o.long === '--store'))
      cmd.addOption(new Option('--store <file|url>', 'the same as --db: a SQLite file, or postgres://USER@HOST:PORT/DB for a store several agents share'));
    cmd.commands.forEach(visit);
  };
  visit(root);
}

export function applyStoreAlias(cmd: Command): void {
  const o = cmd.opts<{ db?: string; store?: string }>();
  if (o.store === undefined) return;
  if (o.db !== undefined && o.db !== o.store) throw new CliError('--db and --store name the same thing: give one of them', EXIT.usage);
  cmd.setOptionValue('db', o.store);
}

/** --json; `shape` describes what is printed when it is more than the human output as JSON. */
export function jsonOption(shape = 'machine-readable output'): InstanceType<typeof Option> {
  return new Option('--json', shape);
}

/**
 * The SNMP credentials, on every command that may talk to an SNMP appliance. A secret on the
 * command line is visible to every user in `ps`: each has a file option (0600 or 0400) and an
 * environment variable (src/cli/secret-input.ts), resolved in src/cli/connect.ts.
 */
export function credentialOptions(cmd: Command): Command {
  return cmd
    .option('--community <name>', `SNMP v2c community (visible in \`ps\`: prefer --community-file or $${SECRET_ENV.community})`)
    .option('--community-file <file>', 'read the v2c community from FILE (mode 0600 or 0400)')
    .option('--v3-user <user>', 'SNMPv3 user (authPriv, SHA + AES)')
    .option('--v3-auth <key>', `SNMPv3 authentication pass phrase (visible in \`ps\`: prefer --v3-auth-file or $${SECRET_ENV.v3Auth})`)
    .option('--v3-auth-file <file>', 'read the SNMPv3 authentication pass phrase from FILE (mode 0600 or 0400)')
    .option('--v3-priv <key>', `SNMPv3 privacy pass phrase (visible in \`ps\`: prefer --v3-priv-file or $${SECRET_ENV.v3Priv})`)
    .option('--v3-priv-file <file>', 'read the SNMPv3 privacy pass phrase from FILE (mode 0600 or 0400)')
    .addHelpText(
      'after',
      `
Environment:
  ${SECRET_ENV.community}  the v2c community, when no option (and for an inventory name, not the inventory) gives credentials
  ${SECRET_ENV.v3Auth}    the SNMPv3 authentication pass phrase, with --v3-user
  ${SECRET_ENV.v3Priv}    the SNMPv3 privacy pass phrase, with --v3-user`,
    );
}

/** --to, the SNMP credentials and --db (for inventory names), on every command that talks to one appliance. */
export function targetOptions(cmd: Command): Command {
  return reachOptions(credentialOptions(cmd.requiredOption('--to <target>', TARGET_HELP)).addOption(dbOption('for inventory names')));
}

/** How a command reaches its appliance: through a remote agent (--context) or the console's owner here, unless --direct. */
export function reachOptions(cmd: Command): Command {
  return cmd
    .option('--direct', 'open the console here, even when a running monitor or serve holds it or a context is current')
    .option('--context <name>', 'work against this remote agent (fulcrum context list; default $FULCRUM_CONTEXT, then the current context)');
}

/**
 * A duration flag's value in ms, read by the one duration parser (src/protocol/rules/duration.ts:
 * `500ms`, `10s`, `5m`, `6h`, `3d`, `1m30s`), so every flag takes the same syntax; a bad value is
 * a usage error naming the flag.
 */
export function durationFlag(flag: string, text: string, min?: { ms: number; why: string }): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`, EXIT.usage);
  }
  if (min && ms < min.ms) throw new CliError(`${flag}: ${text} is shorter than ${min.why}`, EXIT.usage);
  return ms;
}

/** Where a command on the agent's store (inventory, events, audit, history, rollouts) works: a remote agent (--context) or this machine (--direct, or --db). */
export function storeReachOptions(cmd: Command): Command {
  return cmd
    .option('--direct', "work on this machine's store, even when a context is current")
    .option('--context <name>', "work on this remote agent's store (fulcrum context list; default $FULCRUM_CONTEXT, then the current context)");
}
