/** `fulcrum appliance …`: Appliances: identity, state and the inventory. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { credentialOptions, dbOption, jsonOption, targetOptions } from '../options.js';
import { TARGET_FORMS } from '../../../drivers/targets.js';

export function define(appliance: Command): void {
  targetOptions(appliance.command('info').description('Model, serial number, firmware, running config id, uptime, pending confirm'))
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/appliance.js')).info(opts));
  credentialOptions(
    appliance
      .command('add')
      .description('Add an appliance to the inventory (credentials are stored in a file only you can read)')
      .argument('<name>', 'letters, digits, ".", "_", "-"')
      .argument('<target>', TARGET_FORMS),
  )
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (name: string, target: string, opts) => (await import('../commands/inventory.js')).add(name, target, opts));
  appliance
    .command('list')
    .description('The inventory (secrets are never shown)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/inventory.js')).list(opts));
  appliance
    .command('remove')
    .description('Remove an appliance from the inventory')
    .argument('<name>')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (name: string, opts) => (await import('../commands/inventory.js')).remove(name, opts));
}
