/** `fulcrum group …`: failover groups as the appliances report them. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { dbOption, jsonOption } from '../options.js';

export function define(group: Command): void {
  group
    .command('list')
    .description('Every failover group the appliances of the inventory reported, its members and which one is active (as the poller last saw them)')
    .option('--live', 'ask every appliance of the inventory now (and record what it says) instead of showing what the poller last saw')
    .addOption(dbOption())
    .addOption(jsonOption('{"groups": [{name, active, actives, sameConfig, members: [{appliance, unit, state, reachable, configId, firmware, lastPoll}]}]}'))
    .action(async (opts) => (await import('../commands/group.js')).list(opts));
  group
    .command('status')
    .description("A group's members: unit, state, reachability, running config id, firmware")
    .argument('<name>', 'the group name the appliances report')
    .option('--live', 'ask every appliance of the inventory now (and record what it says)')
    .addOption(dbOption())
    .addOption(jsonOption('{name, active, actives, sameConfig, members: […]}'))
    .action(async (name: string, opts) => (await import('../commands/group.js')).status(name, opts));
  group
    .command('failover')
    .description('Tell the active member to go standby, and wait until another member is active (serial consoles; not available over SNMP yet)')
    .argument('<name>', 'the group name the appliances report')
    .option('--wait <duration>', 'how long the new active is waited for (default 10s)')
    .addOption(dbOption())
    .addOption(jsonOption('{group, from, to}'))
    .action(async (name: string, opts) => (await import('../commands/group.js')).failover(name, opts));
}
