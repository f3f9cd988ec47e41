import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';
import { CliError, EXIT } from './exit-codes.js';
import { installNodeCrypto } from '../protocol/host/node-crypto.js';

installNodeCrypto();

// commander is CommonJS: required directly, it skips the translation its ESM wrapper goes
// through, a good part of what `fulcrum --help` costs beyond Node's own start.
const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof CommanderModule;
type Command = CommanderModule.Command;

/**
 * The `fulcrum` command line. Command modules are imported only when their command runs, so
 * `fulcrum --help` does not pay for the simulator, sockets or YAML parser.
 */
const program = new Command('fulcrum')
  .description('Manage fleets of Fulcrum load-balancer appliances, and simulate them.')
  .version('0.1.0', '-V, --version')
  // The root's options count only before the command, so a subcommand may have its own
  // --version (`firmware build --version 1.2.3`) without printing the CLI's version.
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText('after', `
Exit codes: 0 success, 1 failure, 2 usage error, 3 invalid input (nothing was changed),
4 appliance unreachable, 5 refused by the appliance (its running config is unchanged).
Logs are JSON lines on stderr; FULCRUM_LOG=debug|info|warn|error|silent sets the level.`);

/**
 * The group the command line names (`fulcrum rules push …`, `fulcrum help sim`), or null.
 * Root options (-V, -h) take no value and come before the command, so it is the first
 * operand; after `help`, the one that follows.
 */
function namedGroup(args: readonly string[]): string | null {
  const operands = args.filter((a) => !a.startsWith('-'));
  return (operands[0] === 'help' ? operands[1] : operands[0]) ?? null;
}

const selectedGroup = namedGroup(process.argv.slice(2));

/**
 * A command with subcommands (`rules`, `sim`, …). Its subcommands are defined only when the
 * command line names it: `fulcrum --help` lists the groups without building the options of
 * every subcommand (some two hundred).
 */
function group(name: string, description: string, define: (cmd: Command) => void): void {
  const cmd = program.command(name).description(description);
  if (name === selectedGroup) define(cmd);
}

const TARGET_HELP = 'appliance: serial:/dev/ttyX[?baud=N], snmp://HOST[:PORT], or an inventory name';

/** --to and the SNMP credentials, on every command that talks to an appliance. */
function withTarget(cmd: Command): Command {
  return cmd
    .requiredOption('--to <target>', TARGET_HELP)
    .option('--community <name>', 'SNMP v2c community')
    .option('--v3-user <user>', 'SNMPv3 user (authPriv, SHA + AES)')
    .option('--v3-auth <key>', 'SNMPv3 authentication pass phrase')
    .option('--v3-priv <key>', 'SNMPv3 privacy pass phrase')
    .option('--db <file>', "the agent's database, for inventory names (default $FULCRUM_HOME/fulcrum.db)");
}

function withCredentials(cmd: Command): Command {
  return cmd
    .option('--community <name>', 'SNMP v2c community')
    .option('--v3-user <user>', 'SNMPv3 user (authPriv, SHA + AES)')
    .option('--v3-auth <key>', 'SNMPv3 authentication pass phrase')
    .option('--v3-priv <key>', 'SNMPv3 privacy pass phrase');
}

group('rules', 'Rule tables: validate, identify, describe', (rules) => {
  rules
    .command('validate')
    .description('Check a rule table (YAML or JSON); print its summary and config id')
    .argument('<file>', 'rule table file, or - for standard input')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => (await import('./commands/rules.js')).validate(file, opts));
  rules
    .command('id')
    .description('Print the config id (SHA-256 of the canonical encoding) of a rule table')
    .argument('<file>', 'rule table file, or - for standard input')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => (await import('./commands/rules.js')).id(file, opts));
  withTarget(rules
    .command('diff'))
    .description("Show what pushing a rule table would change on an appliance, like `terraform plan`")
    .argument('<file>', 'rule table file, or - for standard input')
    .option('--json', 'machine-readable output: {added, changed, removed}')
    .action(async (file: string, opts) => (await import('./commands/push.js')).diff(file, opts));
  withCredentials(rules
    .command('push')
    .description(
      'Make an appliance run a rule table (--to): sent whole, or as a patch when the agent knows the running table; applied whole or not at all. ' +
        'With --all or --targets, a fleet push: plan everywhere, canaries first, each appliance confirmed only after a health and traffic check, everything rolled back on the first failure',
    )
    .argument('<file>', 'rule table file, or - for standard input')
    .option('--to <target>', TARGET_HELP)
    .option('--all', 'fleet push to every appliance of the inventory (canaries: the first by name)')
    .option('--targets <names>', 'fleet push to these inventory names, comma-separated (canaries: the first named)')
    .option('--canary <n>', 'fleet push: appliances pushed and checked before the rest (default 1)')
    .option('--settle <duration>', 'fleet push: how long traffic is watched before and after each push (default 3s)')
    .option('--confirm-timeout <duration>', 'commit confirmed: revert automatically unless confirmed within this time (e.g. 5m; a fleet push always uses one, default 5m)'))
    .option('--db <file>', "the agent's database, for inventory names (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output: {configId, previousConfigId, mode, bytes, seconds}; a fleet push: {canary, results, rolledBack, …}')
    .action(async (file: string, opts) => {
      const chosen = [opts.to !== undefined, opts.all === true, opts.targets !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new CliError('rules push: give one of --to TARGET (one appliance), --all or --targets A,B,… (a fleet push)', EXIT.usage);
      if (opts.to !== undefined) {
        if (opts.canary !== undefined || opts.settle !== undefined) throw new CliError('--canary and --settle go with a fleet push (--all or --targets)', EXIT.usage);
        return (await import('./commands/push.js')).push(file, opts);
      }
      return (await import('./commands/fleet-push.js')).fleetPush(file, opts);
    });
  withTarget(rules
    .command('confirm'))
    .description('Confirm a commit made with --confirm-timeout, so it stays')
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/push.js')).confirm(opts));
  withTarget(rules
    .command('rollback'))
    .description('Make an earlier config run again (1 = the one before the current)')
    .option('--steps <n>', 'how far back, 1..10', '1')
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/push.js')).rollback(opts));
  rules
    .command('schema')
    .description('Print the JSON Schema of rule tables, for editors')
    .action(async () => (await import('./commands/rules.js')).schema());
});

group('appliance', 'Appliances: identity, state and the inventory', (appliance) => {
  withTarget(appliance
    .command('info')
    .description('Model, serial number, firmware, running config id, uptime, pending confirm'))
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/appliance.js')).info(opts));
  withCredentials(appliance
    .command('add')
    .description('Add an appliance to the inventory (credentials are stored in a file only you can read)')
    .argument('<name>', 'letters, digits, ".", "_", "-"')
    .argument('<target>', 'serial:/dev/ttyX[?baud=N] or snmp://HOST[:PORT]'))
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (name: string, target: string, opts) => (await import('./commands/inventory.js')).add(name, target, opts));
  appliance
    .command('list')
    .description('The inventory (secrets are never shown)')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/inventory.js')).list(opts));
  appliance
    .command('remove')
    .description('Remove an appliance from the inventory')
    .argument('<name>')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts) => (await import('./commands/inventory.js')).remove(name, opts));
});

withCredentials(program
  .command('counters')
  .description('Connections, bytes and failures per service and backend: live from the appliance, or with --since from the store')
  .argument('[name]', 'an inventory name (instead of --to)'))
  .option('--to <target>', TARGET_HELP)
  .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
  .option('--since <duration>', 'history from the store over this span (e.g. 1h), as `fulcrum monitor` recorded it')
  .option('--rate', 'with --since: rates per second instead of increases')
  .option('--json', 'machine-readable output (one JSON document per poll)')
  .option('--watch', 'poll until interrupted')
  .option('--interval <seconds>', 'seconds between polls with --watch', '2')
  .action(async (name: string | undefined, opts) => {
    const to = name ?? opts.to;
    if (!to) throw new CliError('counters: name an appliance (NAME or --to TARGET)', EXIT.usage);
    if (opts.since) return (await import('./commands/history.js')).history(to, opts);
    return (await import('./commands/counters.js')).counters({ ...opts, to });
  });

program
  .command('monitor')
  .description('Poll every appliance of the inventory each interval into the store (rates, rollups, retention); traps become events')
  .option('--interval <duration>', 'time between polls of each appliance', '10s')
  .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
  .option('--for <duration>', 'stop after this long (default: until interrupted)')
  .option('--trap-port <port>', 'receive SNMP notifications on this UDP port')
  .option('--json', 'print a JSON line per polling cycle')
  .action(async (opts) => (await import('./commands/monitor.js')).monitor(opts));

withTarget(program
  .command('poll')
  .description('Poll an appliance\'s counters (the JSON of `counters`); --once for a single poll'))
  .option('--once', 'poll once and exit')
  .option('--json', 'machine-readable output (one JSON document per poll)')
  .option('--interval <seconds>', 'seconds between polls', '10')
  .action(async (opts) => (await import('./commands/counters.js')).counters({ ...opts, watch: !opts.once }));

group('firmware', 'Firmware: signing keys, signed images, and upgrades of appliances', (firmware) => {
  firmware
    .command('keygen')
    .description('Make an Ed25519 signing key pair: DIR/signing.key (private, mode 0600) and DIR/signing.pub')
    .requiredOption('--out <dir>', 'directory for the key files (created if missing)')
    .option('--force', 'replace an existing key pair (images signed with the old key stop verifying against the new signing.pub)')
    .option('--json', 'machine-readable output: {key, pub, keyId}')
    .action(async (opts) => (await import('./commands/firmware.js')).keygen(opts));
  firmware
    .command('build')
    .description('Build a signed firmware image (written atomically)')
    .requiredOption('--version <version>', 'firmware version MAJOR.MINOR.PATCH or MAJOR.MINOR.PATCH+BUILD')
    .requiredOption('--security-counter <n>', 'anti-rollback counter 0..4294967295: appliances refuse images below the counter they run')
    .requiredOption('--key <file>', 'signing key (signing.key from `firmware keygen`)')
    .requiredOption('--out <file>', 'image file to write')
    .option('--payload-size <bytes>', 'generate a deterministic payload of this size (e.g. 4096, 64KiB, 1MiB)')
    .option('--payload <file>', 'use this file as the payload')
    .option('--simulate <behaviour>', 'simulator behaviour, repeatable: crash-on-boot, fails-health, slow-boot', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'machine-readable output: {file, version, securityCounter, size, sha256, keyId, simulate}')
    .action(async (opts) => (await import('./commands/firmware.js')).build(opts));
  firmware
    .command('inspect')
    .description('Show what a firmware image holds; with --pubkey, verify its signature (a key that does not verify it: exit 3)')
    .argument('<file>', 'firmware image')
    .option('--pubkey <file>', 'trusted public key (signing.pub), repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'machine-readable output: {version, securityCounter, size, sha256, keyId, verified, simulate}')
    .action(async (file: string, opts) => (await import('./commands/firmware.js')).inspect(file, opts));
  withTarget(firmware
    .command('upgrade'))
    .description('Upload an image to the inactive slot (resumable), boot it on trial, wait until it confirms itself — or the appliance reverts and this fails')
    .argument('<image>', 'firmware image file')
    .option('--serve-address <host:port[/advertised]>', 'over SNMP the appliance fetches the image over HTTP from the agent: listen here (default 127.0.0.1:0); /HOST:PORT is the address the appliance should use, behind NAT')
    .option('--json', 'machine-readable output: {version, bytes, uploadSeconds, rebootSeconds, confirmed}')
    .action(async (file: string, opts) => (await import('./commands/firmware-device.js')).upgrade(file, opts));
  withTarget(firmware
    .command('status'))
    .description("An appliance's firmware slots: the running image, each slot's version and state, the anti-rollback minimum")
    .option('--json', 'machine-readable output: {active: {slot, version, confirmed}, slots: [{slot, version, state, securityCounter}]}')
    .action(async (opts) => (await import('./commands/firmware-device.js')).status(opts));
  withTarget(firmware
    .command('rollback'))
    .description('Reboot into the previously confirmed image')
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/firmware-device.js')).rollback(opts));
});

program
  .command('serve')
  .description('The HTTP API (token auth, audit log, live stream), Prometheus /metrics and the dashboard, polling the inventory meanwhile; until SIGINT/SIGTERM')
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'TCP port (0 picks a free one; the ready line gives the URL)', '8080')
  .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
  .option('--poll-interval <duration>', 'time between polls of each appliance', '10s')
  .option('--no-poll', 'serve only: do not poll the inventory')
  .option('--metrics-public', 'serve /metrics without a token')
  .action(async (opts) => (await import('./commands/serve.js')).serve(opts));

group('token', 'API tokens: bearer secrets for the HTTP API (stored hashed)', (token) => {
  token
    .command('create')
    .description('Create a token and print it once (admin: may change the fleet; read: may only look)')
    .addOption(new Option('--role <role>', 'what the token may do').choices(['admin', 'read']).makeOptionMandatory())
    .option('--name <label>', 'who or what uses it (shown in the audit log)')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output: {token, id, name, role}')
    .action(async (opts) => (await import('./commands/token.js')).create(opts));
  token
    .command('list')
    .description('Tokens (never their secrets): id, name, role, created, last used')
    .option('--all', 'include revoked tokens')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/token.js')).list(opts));
  token
    .command('revoke')
    .description('Revoke a token at once, by id or by name')
    .argument('<token>', 'id (from token list) or name')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (idOrName: string, opts) => (await import('./commands/token.js')).revoke(idOrName, opts));
});

program
  .command('audit')
  .description('The audit log, newest first: who changed what through the API, when, config ids before and after, outcome')
  .option('--since <duration>', 'only the last DURATION (e.g. 24h)')
  .option('--appliance <name>', 'only changes of this appliance')
  .option('--limit <n>', 'at most this many entries', '100')
  .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
  .option('--json', 'machine-readable output')
  .action(async (opts) => (await import('./commands/audit.js')).audit(opts));

group('rollout', 'Staged firmware rollouts over the inventory: waves, failure threshold, pause/resume/abort; state kept in the database', (rollout) => {
  rollout
    .command('start')
    .description('Add an image to the catalog and roll it out wave by wave, in the foreground; prints the rollout id first. Exit 0: succeeded, 1: halted, paused or aborted')
    .argument('<image>', 'firmware image file')
    .option('--targets <names>', 'inventory names, comma-separated; the waves take them in this order')
    .option('--all', 'every appliance of the inventory, by name')
    .option('--waves <steps>', 'cumulative wave sizes: counts or percentages, increasing; 100% is added when missing', '1,10%,50%,100%')
    .option('--max-failures <n>', 'failures tolerated: N devices or P% of all; one more halts the rollout', '0')
    .option('--deadline <duration>', 'longest upgrade of one appliance; past it, the appliance counts as failed', '10m')
    .option('--concurrency <n>', 'appliances upgraded at once within a wave', '8')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'one JSON line per event (the first has the rollout id), then {event: "end", status}')
    .action(async (image: string, opts) => (await import('./commands/rollout.js')).start(image, opts));
  rollout
    .command('status')
    .description('A rollout (the latest without ID): state, counts per wave, every appliance with its state and error')
    .argument('[id]', 'rollout id (fulcrum rollout list)')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, opts) => (await import('./commands/rollout.js')).status(id, opts));
  rollout
    .command('pause')
    .description('Start no more upgrades (those under way finish), even while another process runs the rollout')
    .argument('<id>', 'rollout id')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts) => (await import('./commands/rollout.js')).pause(id, opts));
  rollout
    .command('resume')
    .description('Carry on with a paused rollout, one whose process died, or a halted one (its failed appliances are retried), in the foreground')
    .argument('<id>', 'rollout id')
    .option('--concurrency <n>', 'appliances upgraded at once within a wave', '8')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'one JSON line per event, then {event: "end", status}')
    .action(async (id: string, opts) => (await import('./commands/rollout.js')).resume(id, opts));
  rollout
    .command('abort')
    .description('End a rollout for good: no more upgrades start (those under way finish)')
    .argument('<id>', 'rollout id')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts) => (await import('./commands/rollout.js')).abort(id, opts));
  rollout
    .command('list')
    .description('Rollouts, newest first: id, state, firmware, appliances succeeded and failed')
    .option('--db <file>', "the agent's database (default $FULCRUM_HOME/fulcrum.db)")
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/rollout.js')).list(opts));
});

group('sim', 'The software appliance simulator', (sim) => {
  sim
    .command('start')
    .description('Run one simulated appliance until SIGINT/SIGTERM')
    .option('--rules <file>', 'rule table that seeds a fresh appliance')
    .option('--name <name>', 'appliance name', 'sim-1')
    .option('--state <dir>', "directory kept as the appliance's flash (startup config survives restarts)")
    .option('--json', 'print one JSON ready line, then JSON events')
    .option('--no-listen', 'management side only: open no data-plane listeners')
    .addOption(new Option('--max-flows <n>', 'size of the connection table').default('262144'))
    .option('--serial', 'open a console port: a pseudo-terminal whose path the ready line gives as "serial"')
    .option('--serial-link <path>', 'also make PATH a symlink to the console, stable across restarts (like /dev/serial/by-id)')
    .option('--baud <n>', 'console line rate (8N1: baud/10 bytes per second each way)', '115200')
    .option('--noise-ber <rate>', 'console line fault injection: probability of a bit flip per bit', '0')
    .option('--noise-drop <rate>', 'console line fault injection: probability of losing a byte', '0')
    .option('--snmp <[host:]port>', 'run an SNMP agent on UDP (host defaults to 127.0.0.1; port 0 picks one); the ready line gives it as "snmp"')
    .option('--community <name>', 'SNMPv2c read-only community')
    .option('--write-community <name>', 'SNMPv2c community that may also write (weights, candidate rows, commit, confirm, rollback)')
    .option('--v3-user <name>', 'SNMPv3 user (authPriv: SHA authentication, AES privacy); v2c stays off unless a community is given too')
    .option('--v3-auth <passphrase>', "the SNMPv3 user's authentication passphrase (8+ characters)")
    .option('--v3-priv <passphrase>', "the SNMPv3 user's privacy passphrase (8+ characters)")
    .option('--v3-write', 'the SNMPv3 user may also write')
    .option('--trap-to <host:port>', 'send notifications (backend state change, commit, confirm, rollback) there')
    .option('--snmp-contact <text>', 'MIB-II sysContact')
    .option('--snmp-location <text>', 'MIB-II sysLocation')
    .option('--trust-key <pub>', 'also accept firmware images signed by this Ed25519 public key (PEM; repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--firmware-version <x.y.z>', 'version of the factory image a new appliance boots (default 1.0.0)')
    .option('--if-counter-base <octets>', "start the data interface's IF-MIB octet counters here (e.g. 4294960000: ifInOctets wraps after a little traffic)")
    .action(async (opts) => (await import('./commands/sim.js')).start(opts));
  sim
    .command('fleet')
    .description('Run N simulated appliances in one process (each its own SNMP port and optional console), until SIGINT/SIGTERM')
    .requiredOption('--count <n>', 'how many appliances')
    .option('--prefix <text>', 'names are PREFIX1..PREFIXN', 'sim-')
    .option('--rules <file>', 'rule table that seeds every fresh appliance')
    .option('--state <dir>', 'keep each appliance\'s flash in DIR/NAME')
    .option('--listen', 'open data-plane listeners (only one appliance can bind each address)')
    .option('--serial', 'give each appliance a console (a pseudo-terminal)')
    .option('--baud <n>', 'console line rate', '115200')
    .option('--snmp <[host:]port>', 'SNMP agents from this port up (port 0: free ports)')
    .option('--community <name>', 'SNMPv2c read-only community')
    .option('--write-community <name>', 'SNMPv2c community that may also write')
    .option('--v3-user <name>', 'SNMPv3 user (authPriv, SHA + AES)')
    .option('--v3-auth <passphrase>', 'SNMPv3 authentication passphrase')
    .option('--v3-priv <passphrase>', 'SNMPv3 privacy passphrase')
    .option('--v3-write', 'the SNMPv3 user may also write')
    .option('--trap-to <host:port>', 'send notifications there')
    .option('--trust-key <pub>', 'also accept firmware images signed by this Ed25519 public key (PEM; repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--firmware-version <x.y.z>', 'version of the factory image new appliances boot (default 1.0.0)')
    .option('--json', 'print one JSON line: {appliances: [ready lines]}')
    .action(async (opts) => (await import('./commands/fleet.js')).fleet(opts));
});

program
  .command('demo')
  .description('The whole story: backends, three simulated appliances (two on serial consoles, one on SNMPv3), pushes, traffic, polling, a firmware rollout, a summary')
  .option('--keep', 'stay up afterwards with the control plane: prints the dashboard URL and an admin token')
  .option('--port <n>', 'with --keep: the control plane\'s port (default: any free one)')
  .option('--json', 'print the final summary as JSON')
  .action(async (opts: { json?: boolean; keep?: boolean; port?: string }) => (await import('./commands/demo.js')).demo(opts));

async function main(): Promise<void> {
  try {
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
    process.stderr.write(`fulcrum: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}

// Subcommands inherit the override so their parse errors are caught above too.
for (const c of program.commands) {
  c.exitOverride();
  for (const sub of c.commands) sub.exitOverride();
}

await main();
