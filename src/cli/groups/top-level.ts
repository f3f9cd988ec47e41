/** The commands that are not in a group: counters, poll, monitor, serve, audit, events, completion, demo. */

import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { credentialOptions, dbOption, jsonOption, storeReachOptions, targetOptions, TARGET_HELP } from '../options.js';

export function defineTopLevel(program: Command): void {
  credentialOptions(
    program
      .command('counters')
      .description('Connections, bytes and failures per service and backend: live from the appliance, or with --since from the store')
      .argument('[name]', 'an inventory name (instead of --to)'),
  )
    .option('--to <target>', TARGET_HELP)
    .option('--direct', 'open the console here, even when a running monitor or serve holds it or a context is current')
    .option(
      '--context <name>',
      'read counters (live, or with --since its history) through this remote agent (default $FULCRUM_CONTEXT, then the current context)',
    )
    .addOption(dbOption())
    .option('--since <duration>', 'history from the store over this span (e.g. 1h, 3d), as `fulcrum monitor` recorded it')
    .option('--step <duration>', 'with --since: one row per step (e.g. 5m): total, rate, min / avg / max per second')
    .option('--counter <names>', 'with --since: only these counters (comma-separated: connsTotal,bytesIn,…)')
    .option('--service <name>', "with --since: only this service's series")
    .option('--backend <address>', "with --since: only this backend's series")
    .option('--rate', 'with --since (no --step): rates per second instead of increases')
    .addOption(jsonOption('machine-readable output (one JSON document per poll; with --since the same rows)'))
    .option('--watch', 'poll until interrupted, showing rates per second since the refresh before')
    .option('--interval <duration>', 'time between polls with --watch (e.g. 2s)', '2s')
    .action(async (name: string | undefined, opts) => {
      const to = name ?? opts.to;
      if (!to) throw new CliError('counters: name an appliance (NAME or --to TARGET)', EXIT.usage);
      if (opts.since) return (await import('../commands/history.js')).history(to, opts);
      for (const flag of ['step', 'counter', 'service', 'backend', 'rate'] as const)
        if (opts[flag] !== undefined) throw new CliError(`--${flag} goes with --since (history from the store)`, EXIT.usage);
      return (await import('../commands/counters.js')).counters({ ...opts, to });
    });

  program
    .command('monitor')
    .description(
      'Poll every appliance of the inventory each interval into the store (rates, rollups, retention); traps become events. On a SQLite file one poller per store (a second one exits 1 naming the first); on a postgres:// store agents share the appliances, each polled by one of them',
    )
    .option('--interval <duration>', 'time between polls of each appliance', '10s')
    .addOption(dbOption())
    .option('--for <duration>', 'stop after this long (default: until interrupted)')
    .option(
      '--trap-port <port>',
      "receive SNMP notifications on this UDP port (only from inventory addresses, with that appliance's community or v3 user; 20/s per source, burst 50)",
    )
    .option('--trap-host <address>', 'address the notifications are received on (default 127.0.0.1; 0.0.0.0 for every interface)')
    .option('--standby', 'when another poller holds this store, wait and take over once it stops, instead of exiting 1')
    .option('--site <name>', 'on a shared (postgres://) store: the site this agent polls for (appliances of that site only; default "default")')
    .option('--capacity <n>', 'on a shared (postgres://) store: the most appliances this agent takes (default 5000)')
    .option('--remote-write <url>', 'also send the polled counters to this Prometheus remote-write URL, labelled by appliance and not by agent')
    .addOption(jsonOption('print a JSON line per polling cycle'))
    .action(async (opts) => (await import('../commands/monitor.js')).monitor(opts));

  targetOptions(program.command('poll').description("Poll an appliance's counters (the JSON of `counters`); --once for a single poll"))
    .option('--once', 'poll once and exit')
    .addOption(jsonOption('machine-readable output (one JSON document per poll)'))
    .option('--interval <duration>', 'time between polls (e.g. 10s)', '10s')
    .action(async (opts) => (await import('../commands/counters.js')).counters({ ...opts, watch: !opts.once }));

  program
    .command('serve')
    .description(
      'The HTTP API (token auth, audit log, live stream), Prometheus /metrics and the dashboard, polling the inventory meanwhile; until SIGINT/SIGTERM',
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one; the ready line gives the URL)', '8080')
    .addOption(dbOption())
    .option('--poll-interval <duration>', 'time between polls of each appliance', '10s')
    .option('--no-poll', 'serve only: do not poll the inventory')
    .option('--standby', 'when another poller (a `fulcrum monitor`) holds this store, take over polling once it stops; without it, serve without polling')
    .option('--metrics-public', 'serve /metrics without a token')
    .option('--public-docs', 'serve the OpenAPI document and the docs page (/api/v1/docs) without a token')
    .option('--max-streams <n>', 'live streams (/api/v1/stream) served at once; more are answered 429', '100')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--tls-self-signed', 'serve HTTPS with a self-signed certificate made on first use in $FULCRUM_HOME/tls (its SHA-256 fingerprint is printed)')
    .option('--insecure-http', 'serve plain HTTP on a non-loopback --host (refused otherwise: tokens would cross the network in the clear)')
    .option('--site <name>', 'on a shared (postgres://) store: the site this agent polls for (default "default")')
    .option('--capacity <n>', 'on a shared (postgres://) store: the most appliances this agent takes (default 5000)')
    .option('--advertise <url>', "on a shared store: the URL other agents hand this one its appliances' changes at (default: the URL it listens on)")
    .option('--remote-write <url>', 'also send the polled counters to this Prometheus remote-write URL, labelled by appliance and not by agent')
    .action(async (opts) => (await import('../commands/serve.js')).serve(opts));

  storeReachOptions(
    program
      .command('agents')
      .description(
        'The agents polling the store: on a shared postgres:// store each one with its site, heartbeat, appliances held and last cycle; on a SQLite file its poller',
      ),
  )
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/agents.js')).agents(opts));

  storeReachOptions(
    program
      .command('audit')
      .description('The audit log, newest first: who changed what through the API or the CLI, when, config ids before and after, outcome'),
  )
    .option('--since <duration>', 'only the last DURATION (e.g. 24h)')
    .option('--appliance <name>', 'only changes of this appliance')
    .option('--limit <n>', 'at most this many entries', '100')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/audit.js')).audit(opts));

  storeReachOptions(
    program
      .command('events')
      .description('The event log from the store, newest first: unreachable/reachable, config changes, backend states, commits, traps, rollout steps'),
  )
    .option('--since <duration>', 'only the last DURATION (e.g. 1h, 3d)', '24h')
    .option('--appliance <name>', 'only events of this appliance')
    .option('--kind <kind>', 'only events of this kind (e.g. config-changed, unreachable, trap)')
    .option('--limit <n>', 'at most this many entries (with --follow: of the backlog)', '100')
    .option('--follow', 'then print each new event as it is recorded, until interrupted (oldest first)')
    .addOption(dbOption())
    .addOption(jsonOption('an array of events; with --follow one JSON object per line'))
    .action(async (opts) => (await import('../commands/events.js')).events(opts));

  program
    .command('completion')
    .description('Shell completion generated from the command tree, inventory names included: source <(fulcrum completion bash)')
    .argument('[shell]', 'bash or zsh')
    .option('--names', "print the inventory's names, one a line (what the completion script calls)")
    .addOption(dbOption('with --names'))
    .action(async (shell: string | undefined, opts, cmd: Command) => (await import('../commands/completion.js')).completion(shell, opts, cmd.parent!));

  program
    .command('demo')
    .description(
      'The whole story: backends, three simulated appliances (two on serial consoles, one on SNMPv3), pushes, traffic, polling, a firmware rollout, a summary',
    )
    .option('--keep', 'stay up afterwards with the control plane: prints the dashboard URL and an admin token')
    .option('--port <n>', "with --keep: the control plane's port (default: any free one)")
    .addOption(jsonOption('print the final summary as JSON'))
    .action(async (opts: { json?: boolean; keep?: boolean; port?: string }) => (await import('../commands/demo.js')).demo(opts));
}
