/**
 * The command groups of `fulcrum` and where their subcommands are defined. main.ts defines only
 * the group a command line names (its subcommands' options cost startup time); shell completion
 * (src/cli/completion/) fills them all in, so the completion tree is the command tree itself.
 */
import type { Command } from '../commander.js';

type GroupModule = { define(cmd: Command): void };

/** Every group: its description for the help, and where its subcommands are defined. */
export const GROUPS: ReadonlyArray<[name: string, description: string, load: () => Promise<GroupModule>]> = [
  ['rules', 'Rule tables: validate, identify, describe', () => import('./rules.js')],
  ['appliance', 'Appliances: identity, state and the inventory', () => import('./appliance.js')],
  ['group', 'Failover groups as the appliances report them: members, the active one, failover', () => import('./group.js')],
  ['firmware', 'Firmware: signing keys, signed images, and upgrades of appliances', () => import('./firmware.js')],
  ['token', 'API tokens: bearer secrets for the HTTP API (stored hashed)', () => import('./token.js')],
  [
    'rollout',
    'Staged firmware rollouts over the inventory: waves, failure threshold, pause/resume/abort; state kept in the database',
    () => import('./rollout.js'),
  ],
  ['sim', 'The software appliance simulator', () => import('./sim.js')],
  ['context', 'Remote agents the CLI works against (kubectl-style contexts)', () => import('./context.js')],
];

/** Adds every group to `program`, with its subcommands where `full(name)` says so. */
export async function defineGroups(program: Command, full: (name: string) => boolean): Promise<void> {
  for (const [name, description, load] of GROUPS) {
    const cmd = program.command(name).description(description);
    if (full(name)) (await load()).define(cmd);
  }
}

/** Defines the subcommands of every group `program` holds only as a name (what main.ts leaves out). */
export async function fillGroups(program: Command): Promise<void> {
  for (const [name, , load] of GROUPS) {
    const cmd = program.commands.find((c) => c.name() === name);
    if (cmd && cmd.commands.length === 0) (await load()).define(cmd);
  }
}
