/** `fulcrum token …`: API tokens: bearer secrets for the HTTP API (stored hashed). Defined only when the command line names the group. */

import type { Command } from 'commander';
import { Option } from '../commander.js';
import { dbOption, jsonOption } from '../options.js';

export function define(token: Command): void {
  token
    .command('create')
    .description('Create a token and print it once (admin: may change the fleet; read: may only look)')
    .addOption(new Option('--role <role>', 'what the token may do').choices(['admin', 'read']).makeOptionMandatory())
    .option('--name <label>', 'who or what uses it (shown in the audit log)')
    .addOption(dbOption())
    .addOption(jsonOption('machine-readable output: {token, id, name, role}'))
    .action(async (opts) => (await import('../commands/token.js')).create(opts));
  token
    .command('list')
    .description('Tokens (never their secrets): id, name, role, created, last used')
    .option('--all', 'include revoked tokens')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/token.js')).list(opts));
  token
    .command('revoke')
    .description('Revoke a token at once, by id or by name')
    .argument('<token>', 'id (from token list) or name')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (idOrName: string, opts) => (await import('../commands/token.js')).revoke(idOrName, opts));
}
