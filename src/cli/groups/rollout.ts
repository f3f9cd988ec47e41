/** `fulcrum rollout …`: Staged firmware rollouts over the inventory: waves, failure threshold, pause/resume/abort; state kept in the database. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { dbOption, jsonOption, storeReachOptions } from '../options.js';

export function define(rollout: Command): void {
  storeReachOptions(
    rollout
      .command('start')
      .description(
        'Add an image to the catalog and roll it out wave by wave, in the foreground; prints the rollout id first. Exit 0: succeeded, 1: halted, paused or aborted',
      )
      .argument('<image>', 'firmware image file')
      .option('--targets <names>', 'inventory names, comma-separated; the waves take them in this order')
      .option('--all', 'every appliance of the inventory, by name')
      .option('--waves <steps>', 'cumulative wave sizes: counts or percentages, increasing; 100% is added when missing', '1,10%,50%,100%')
      .option('--max-failures <n>', 'failures tolerated: N devices or P% of all; one more halts the rollout', '0')
      .option('--deadline <duration>', 'longest upgrade of one appliance; past it, the appliance counts as failed', '10m')
      .option('--concurrency <n>', 'appliances upgraded at once within a wave', '8'),
  )
    .addOption(dbOption())
    .addOption(jsonOption('one JSON line per event (the first has the rollout id), then {event: "end", status}'))
    .action(async (image: string, opts) => (await import('../commands/rollout.js')).start(image, opts));
  storeReachOptions(
    rollout
      .command('status')
      .description('A rollout (the latest without ID): state, counts per wave, every appliance with its state and error')
      .argument('[id]', 'rollout id (fulcrum rollout list)'),
  )
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (id: string | undefined, opts) => (await import('../commands/rollout.js')).status(id, opts));
  storeReachOptions(
    rollout
      .command('pause')
      .description('Start no more upgrades (those under way finish), even while another process runs the rollout')
      .argument('<id>', 'rollout id'),
  )
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (id: string, opts) => (await import('../commands/rollout.js')).pause(id, opts));
  storeReachOptions(
    rollout
      .command('resume')
      .description('Carry on with a paused rollout, one whose process died, or a halted one (its failed appliances are retried), in the foreground')
      .argument('<id>', 'rollout id')
      .option('--concurrency <n>', 'appliances upgraded at once within a wave', '8'),
  )
    .addOption(dbOption())
    .addOption(jsonOption('one JSON line per event, then {event: "end", status}'))
    .action(async (id: string, opts) => (await import('../commands/rollout.js')).resume(id, opts));
  storeReachOptions(
    rollout.command('abort').description('End a rollout for good: no more upgrades start (those under way finish)').argument('<id>', 'rollout id'),
  )
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (id: string, opts) => (await import('../commands/rollout.js')).abort(id, opts));
  storeReachOptions(rollout.command('list').description('Rollouts, newest first: id, state, firmware, appliances succeeded and failed'))
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/rollout.js')).list(opts));
}
