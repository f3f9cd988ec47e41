/** `fulcrum rules …`: Rule tables: validate, identify, describe, push, read back (show, history), roll back. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { credentialOptions, dbOption, jsonOption, targetOptions, TARGET_HELP } from '../options.js';

export function define(rules: Command): void {
  rules
    .command('validate')
    .description('Check a rule table (YAML or JSON); print its summary and config id')
    .argument('<file>', 'rule table file, or - for standard input')
    .addOption(jsonOption())
    .action(async (file: string, opts: { json?: boolean }) => (await import('../commands/rules.js')).validate(file, opts));
  rules
    .command('id')
    .description('Print the config id (SHA-256 of the canonical encoding) of a rule table')
    .argument('<file>', 'rule table file, or - for standard input')
    .addOption(jsonOption())
    .action(async (file: string, opts: { json?: boolean }) => (await import('../commands/rules.js')).id(file, opts));
  targetOptions(rules.command('diff'))
    .description('Show what pushing a rule table would change on an appliance, like `terraform plan`')
    .argument('<file>', 'rule table file, or - for standard input')
    .addOption(jsonOption('machine-readable output: {added, changed, removed}'))
    .action(async (file: string, opts) => (await import('../commands/push.js')).diff(file, opts));
  credentialOptions(
    rules
      .command('push')
      .description(
        'Make an appliance run a rule table (--to): sent whole, or as a patch when the agent knows the running table; applied whole or not at all. ' +
          'With --all or --targets, a fleet push: plan everywhere, canaries first, each appliance confirmed only after a health and traffic check, everything rolled back on the first failure',
      )
      .argument('<file>', 'rule table file, or - for standard input')
      .option(
        '--to <target>',
        `${TARGET_HELP}; or group:NAME, every member of a failover group brought to the table (commit confirmed on each, confirmed only once all run it)`,
      )
      .option('--direct', 'with --to: open the console here, even when a running monitor or serve holds it or a context is current')
      .option('--context <name>', 'with --to: push through this remote agent (default $FULCRUM_CONTEXT, then the current context)')
      .option('--all', 'fleet push to every appliance of the inventory (canaries: the first by name)')
      .option('--targets <names>', 'fleet push to these inventory names, comma-separated (canaries: the first named)')
      .option('--canary <n>', 'fleet push: appliances pushed and checked before the rest (default 1)')
      .option('--settle <duration>', 'fleet push: how long traffic is watched before and after each push (default 3s)')
      .option(
        '--confirm-timeout <duration>',
        'commit confirmed: revert automatically unless confirmed within this time (e.g. 5m; at least 10s; a fleet push always uses one, default 5m)',
      )
      .option('--dry-run', 'print the plan and the bytes a push would send, and send nothing')
      .option(
        '--allow-destructive',
        'push a plan that removes every service or more than half of them (refused otherwise, exit 3; on a terminal you are asked)',
      )
      .option('--replace-pending', 'with --to: push over a commit still pending confirmation, replacing it (refused otherwise, exit 5)')
      .option('--message <text>', "with --to: a comment kept with this config in the appliance's history (`rules history`), with your user@host")
      .option('--force', 'with --to: allow a confirm timeout under 10 s'),
  )
    .addOption(dbOption('for inventory names'))
    .addOption(
      jsonOption(
        'machine-readable output: {configId, previousConfigId, mode, bytes, seconds} (unchanged: true when it ran the table already); a fleet push: {canary, results, rolledBack, …}',
      ),
    )
    .action(async (file: string, opts) => {
      const chosen = [opts.to !== undefined, opts.all === true, opts.targets !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new CliError('rules push: give one of --to TARGET (one appliance), --all or --targets A,B,… (a fleet push)', EXIT.usage);
      if (typeof opts.to === 'string' && opts.to.startsWith('group:')) {
        if (
          opts.canary !== undefined ||
          opts.settle !== undefined ||
          opts.replacePending === true ||
          opts.force === true ||
          opts.direct === true ||
          opts.context !== undefined
        )
          throw new CliError(
            '--to group:NAME takes --confirm-timeout, --dry-run and --allow-destructive only (not --canary, --settle, --replace-pending, --force, --direct, --context)',
            EXIT.usage,
          );
        return (await import('../commands/group-push.js')).groupPush(file, opts.to.slice('group:'.length), opts);
      }
      if (opts.to !== undefined) {
        if (opts.canary !== undefined || opts.settle !== undefined)
          throw new CliError('--canary and --settle go with a fleet push (--all or --targets)', EXIT.usage);
        return (await import('../commands/push.js')).push(file, opts);
      }
      // A fleet push never pushes over a pending commit, and its confirm timeout must outlast its checks.
      if (opts.replacePending === true || opts.force === true || opts.message !== undefined)
        throw new CliError('--replace-pending, --force and --message go with --to (one appliance)', EXIT.usage);
      return (await import('../commands/fleet-push.js')).fleetPush(file, opts);
    });
  targetOptions(rules.command('confirm'))
    .description('Confirm a commit made with --confirm-timeout, so it stays')
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/push.js')).confirm(opts));
  targetOptions(rules.command('rollback'))
    .description('Make an earlier config run again (1 = the one before the current), printing its plan (running → slot N) first')
    .argument('[n]', 'how far back, 1..10 (default 1; `rules history` lists the slots)')
    .option('--steps <n>', 'the same as N')
    .option('--confirm-timeout <duration>', 'commit confirmed: revert automatically unless confirmed within this time (e.g. 5m; at least 10s; serial console)')
    .option('--force', 'allow a confirm timeout under 10 s')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--message <text>', 'a comment kept with the config in the appliance\'s history (default "rollback N")')
    .addOption(jsonOption('machine-readable output: {configId, previousConfigId, plan}'))
    .action(async (n: string | undefined, opts) => (await import('../commands/rules-read.js')).rollback(n, opts));
  targetOptions(rules.command('show'))
    .description(
      'Print the rule table the appliance runs (or another slot) in the dialect rule files are written in: `rules show --to T > f.yaml; rules id f.yaml` gives its config id',
    )
    .option('--candidate', 'the staged candidate (serial console)')
    .option('--startup', 'the confirmed config a reboot runs (serial console)')
    .option('--rollback <n>', 'rollback slot N, 1..10 (serial console)')
    .option('--format <format>', 'yaml or json', 'yaml')
    .action(async (opts) => (await import('../commands/rules-read.js')).show(opts));
  targetOptions(rules.command('history'))
    .description("List the appliance's rollback slots: config id, when, by whom, and the push's --message (serial console)")
    .addOption(jsonOption('machine-readable output: {history: [{steps, configId, at, by, comment}]}'))
    .action(async (opts) => (await import('../commands/rules-read.js')).history(opts));
  targetOptions(rules.command('set-backend'))
    .description(
      "Change one backend's weight or state where it runs (no rule file): the running table edited and pushed as `rules push` would (plan, guard rails, audit; a patch over the console)",
    )
    .argument('<service>', 'the service, by name')
    .argument('<backend>', 'the backend, by address (HOST:PORT)')
    .option('--weight <n>', 'the new weight, 0..65535')
    .option('--state <state>', 'enabled, drain (keeps established connections, takes no new ones) or disabled')
    .option('--confirm-timeout <duration>', 'commit confirmed: revert automatically unless confirmed within this time (e.g. 5m; at least 10s)')
    .option('--dry-run', 'print the plan and send nothing')
    .option('--replace-pending', 'edit over a commit still pending confirmation, replacing it (refused otherwise, exit 5)')
    .option('--force', 'allow a confirm timeout under 10 s')
    .addOption(jsonOption('machine-readable output: {configId, previousConfigId, mode, bytes, seconds}, or {dryRun, plan, …}'))
    .action(async (service: string, backend: string, opts) => (await import('../commands/push.js')).setBackend(service, backend, opts));
  rules
    .command('import')
    .description(
      'Turn an HAProxy, keepalived or nginx configuration into a rule table (stdout or --out); what did not carry over is reported on stderr as FILE:LINE',
    )
    .argument('<file>', 'configuration file, or - for standard input')
    .option('--from <kind>', 'haproxy, keepalived or nginx (default: guessed from the content)')
    .option('--out <file>', 'write the rule table there instead of stdout')
    .option('--strict', 'exit 3 if anything was not carried over')
    .addOption(jsonOption('machine-readable output: {format, rules, report}'))
    .action(async (file: string, opts) => (await import('../commands/interop.js')).importRules(file, opts));
  rules
    .command('export')
    .description('Render a rule table as a configuration HAProxy, keepalived or nginx accepts; what it cannot express is reported on stderr')
    .argument('<file>', 'rule table file, or - for standard input')
    .requiredOption('--format <kind>', 'haproxy, keepalived or nginx')
    .option('--out <file>', 'write the configuration there instead of stdout')
    .option('--strict', 'exit 3 if a setting cannot be expressed')
    .addOption(jsonOption('machine-readable output: {format, text, report}'))
    .action(async (file: string, opts) => (await import('../commands/interop.js')).exportRules(file, opts));
  rules
    .command('schema')
    .description('Print the JSON Schema of rule tables, for editors')
    .action(async () => (await import('../commands/rules.js')).schema());
}
