/** `fulcrum context …`: remote agents the CLI works against, kubectl-style. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { jsonOption } from '../options.js';

export function define(context: Command): void {
  context
    .command('add')
    .description('Name a remote agent (its URL, token file and certificate trust); kept in $FULCRUM_HOME/contexts.json (0600)')
    .argument('<name>', 'what to call it')
    .requiredOption('--server <url>', "the agent's address, https://HOST:PORT (as `fulcrum serve` printed it)")
    .requiredOption('--token-file <file>', 'a file holding the token (only its owner may read it); read at every use')
    .option('--fingerprint <sha256>', "pin the server certificate's SHA-256 fingerprint (serve prints it; for self-signed certificates)")
    .option('--ca <file>', 'PEM CA certificate the server certificate must chain to (default: the system CAs)')
    .option('--insecure-http', 'allow http:// to another machine (the token crosses the network in clear)')
    .option('--use', 'make it the current context too')
    .action(async (name: string, opts) => (await import('../commands/context.js')).add(name, opts));
  context
    .command('use')
    .description('Make a context current: commands aimed at appliances go to that agent (--local: this machine again)')
    .argument('[name]', 'the context')
    .option('--local', 'no current context: commands work on this machine')
    .action(async (name: string | undefined, opts) => (await import('../commands/context.js')).use(name, opts));
  context
    .command('list')
    .description('The contexts, the current one marked *')
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/context.js')).list(opts));
  context
    .command('remove')
    .description('Forget a context')
    .argument('<name>', 'the context')
    .action(async (name: string) => (await import('../commands/context.js')).remove(name));
}
