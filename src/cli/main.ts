/**
 * The `fulcrum` command line. Groups (`rules`, `sim`, …) are defined only when the command line
 * names them, and command modules imported only when their command runs, so `fulcrum --help`
 * pays for neither the simulator, sockets nor YAML parser, nor for the options of some two
 * hundred subcommands.
 */
import '../protocol/host/install-node-crypto.js';
import { Command, CommanderError } from './commander.js';
import { CliError, EXIT } from './exit-codes.js';
import { defineTopLevel } from './groups/top-level.js';
import { packageVersion } from './version.js';

const args = process.argv.slice(2);
const program = new Command('fulcrum')
  .description('Manage fleets of Fulcrum load-balancer appliances, and simulate them.')
  // Read only when asked: finding package.json costs file reads every other command can skip.
  .version(args.includes('-V') || args.includes('--version') ? packageVersion() : '', '-V, --version')
  // The root's options count only before the command, so a subcommand may have its own
  // --version (`firmware build --version 1.2.3`) without printing the CLI's version.
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 success, 1 failure, 2 usage error, 3 invalid input (nothing was changed),
4 appliance unreachable, 5 refused by the appliance (its running config is unchanged).
Logs are JSON lines on stderr; FULCRUM_LOG=debug|info|warn|error|silent sets the level.`,
  );

type GroupModule = { define(cmd: Command): void };

/** Every group: its description for the help, and where its subcommands are defined. */
const GROUPS: ReadonlyArray<[name: string, description: string, load: () => Promise<GroupModule>]> = [
  ['rules', 'Rule tables: validate, identify, describe', () => import('./groups/rules.js')],
  ['appliance', 'Appliances: identity, state and the inventory', () => import('./groups/appliance.js')],
  ['firmware', 'Firmware: signing keys, signed images, and upgrades of appliances', () => import('./groups/firmware.js')],
  ['token', 'API tokens: bearer secrets for the HTTP API (stored hashed)', () => import('./groups/token.js')],
  [
    'rollout',
    'Staged firmware rollouts over the inventory: waves, failure threshold, pause/resume/abort; state kept in the database',
    () => import('./groups/rollout.js'),
  ],
  ['sim', 'The software appliance simulator', () => import('./groups/sim.js')],
  ['context', 'Remote agents the CLI works against (kubectl-style contexts)', () => import('./groups/context.js')],
];

/**
 * The group the command line names (`fulcrum rules push …`, `fulcrum help sim`), or null.
 * Root options (-V, -h) take no value and come before the command, so it is the first
 * operand; after `help`, the one that follows.
 */
function namedGroup(argv: readonly string[]): string | null {
  const operands = argv.filter((a) => !a.startsWith('-'));
  return (operands[0] === 'help' ? operands[1] : operands[0]) ?? null;
}

async function defineCommands(): Promise<void> {
  const selected = namedGroup(args);
  for (const [name, description, load] of GROUPS) {
    const cmd = program.command(name).description(description);
    if (name === selected) (await load()).define(cmd);
  }
  defineTopLevel(program);
  // Subcommands inherit the override so their parse errors are caught below too.
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
}

async function main(): Promise<void> {
  try {
    await defineCommands();
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; every other parse error is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    // The store's key file cannot open the inventory (src/store/secrets.ts): the message says
    // which file is needed. Matched by name, so this module does not load the store.
    if (err instanceof Error && err.name === 'SecretKeyError') {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = EXIT.failure;
      return;
    }
    process.stderr.write(`fulcrum: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}

await main();
