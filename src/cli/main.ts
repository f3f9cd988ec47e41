/**
 * The `fulcrum` command line. Groups (`rules`, `sim`, …) are defined only when the command line
 * names them, and command modules imported only when their command runs, so `fulcrum --help`
 * pays for neither the simulator, sockets nor YAML parser, nor for the options of some two
 * hundred subcommands, nor for Node's crypto.
 */
import { Command, CommanderError } from './commander.js';
import { CliError, EXIT, exitName } from './exit-codes.js';
import { defineGroups } from './groups/index.js';
import { defineTopLevel } from './groups/top-level.js';
import { applyStoreAlias, storeAliases } from './options.js';
import { packageVersion } from './version.js';

const args = process.argv.slice(2);
// Errors of a command run with --json are JSON too, on stderr, so a script never parses prose.
const jsonErrors = args.includes('--json');
// `fulcrum … | head` closes the pipe early: that ends the command quietly, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  throw err;
});
const program = new Command('fulcrum')
  .description('Manage fleets of Fulcrum load-balancer appliances, and simulate them.')
  // Read only when asked: finding package.json costs file reads every other command can skip.
  .version(args.includes('-V') || args.includes('--version') ? packageVersion() : '', '-V, --version')
  // The root's options count only before the command, so a subcommand may have its own
  // --version (`firmware build --version 1.2.3`) without printing the CLI's version.
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  // Parse errors reach the catch below as CommanderErrors; with --json they are printed there.
  .configureOutput(jsonErrors ? { outputError: () => undefined, writeErr: () => undefined } : {})
  .addHelpText(
    'after',
    `
Exit codes: 0 success, 1 failure, 2 usage error, 3 invalid input or a name not in the
inventory (nothing was changed), 4 appliance unreachable, 5 refused by the appliance (its
running config is unchanged), 6 nothing to act on (e.g. no commit pending confirmation).
With --json, errors are one JSON line on stderr: {"error": {"code", "exit", "message"}}.
Logs are JSON lines on stderr; FULCRUM_LOG=debug|info|warn|error|silent sets the level.`,
  );

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
  await defineGroups(program, (name) => name === selected);
  defineTopLevel(program);
  // Subcommands inherit the override so their parse errors are caught below too.
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
}

/** An error for the operator: its message on stderr (one JSON line with --json) and its exit code. */
function fail(message: string, exitCode: number): void {
  if (jsonErrors) process.stderr.write(`${JSON.stringify({ error: { code: exitName(exitCode), exit: exitCode, message } })}\n`);
  else process.stderr.write(`${message}\n`);
  process.exitCode = exitCode;
}

async function main(): Promise<void> {
  try {
    await defineCommands();
    storeAliases(program);
    program.hook('preAction', (_root, action) => applyStoreAlias(action));
    // Node's crypto goes in as the contract's CryptoPort before a command runs, and only then:
    // help and the version hash nothing, and the port's modules are a good part of a start.
    program.hook('preAction', async () => {
      await import('../protocol/host/install-node-crypto.js');
    });
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; every other parse error is a usage error.
      if (err.exitCode === 0) process.exitCode = EXIT.ok;
      else if (jsonErrors) fail(err.message.replace(/^error: /, ''), EXIT.usage);
      else process.exitCode = EXIT.usage;
      return;
    }
    if (err instanceof CliError) return fail(err.message, err.exitCode);
    // Errors of the store, matched by name so this module does not load it: the key file cannot
    // open the inventory (src/store/secrets.ts; the message names the file needed), or a name the
    // inventory does not hold (src/store/inventory.ts; also from a remote agent's inventory).
    if (err instanceof Error && err.name === 'SecretKeyError') return fail(err.message, EXIT.failure);
    if (err instanceof Error && err.name === 'InventoryError') return fail(err.message, EXIT.invalidInput);
    if (jsonErrors) return fail(err instanceof Error ? err.message : String(err), EXIT.failure);
    process.stderr.write(`fulcrum: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}

await main();
