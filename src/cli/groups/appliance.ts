/** `fulcrum appliance …`: Appliances: identity, state and the inventory. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { credentialOptions, dbOption, jsonOption, storeReachOptions, targetOptions } from '../options.js';
import { TARGET_FORMS } from '../../../drivers/targets.js';

export function define(appliance: Command): void {
  targetOptions(appliance.command('info').description('Model, serial number, firmware, running config id, uptime, pending confirm'))
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/appliance.js')).info(opts));
  storeReachOptions(
    credentialOptions(
      appliance
        .command('add')
        .description('Add an appliance to the inventory (credentials are stored in a file only you can read)')
        .argument('<name>', 'letters, digits, ".", "_", "-"')
        .argument('<target>', TARGET_FORMS),
    ),
  )
    .option('--no-check', 'store it without reading its identity first (an appliance not installed yet)')
    .option('--site <name>', 'where it is: on a shared postgres:// store only agents started with that --site poll it (default "default")')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (name: string, target: string, opts) => (await import('../commands/inventory.js')).add(name, target, opts));
  storeReachOptions(
    credentialOptions(
      appliance
        .command('update')
        .description("Change an appliance's address and/or SNMP credentials (checked with an identity read first, unless --no-check)")
        .argument('<name>', 'an inventory name'),
    ),
  )
    .option('--target <target>', `the new address: ${TARGET_FORMS}`)
    .option('--no-check', 'store the change without reading its identity first')
    .option('--site <name>', 'move it to another site (agents of that site poll it on a shared store)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (name: string, opts) => (await import('../commands/inventory.js')).update(name, opts));
  storeReachOptions(
    appliance
      .command('list')
      .description("The inventory with each appliance's last known state (reachable, firmware, config id, pending confirm, last poll); secrets are never shown")
      .option('--live', 'ask every appliance now instead of showing what the poller last saw'),
  )
    .addOption(dbOption())
    .addOption(jsonOption('the API\'s appliance list: {"appliances": [{name, address, reachable, lastPoll, firmware, configId, pendingConfirm, …}]}'))
    .action(async (opts) => (await import('../commands/inventory.js')).list(opts));
  storeReachOptions(appliance.command('remove').description('Remove an appliance from the inventory').argument('<name>'))
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (name: string, opts) => (await import('../commands/inventory.js')).remove(name, opts));
}
