/** `fulcrum sim …`: The software appliance simulator. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { Option } from '../commander.js';
import { jsonOption } from '../options.js';

export function define(sim: Command): void {
  sim
    .command('start')
    .description('Run one simulated appliance until SIGINT/SIGTERM')
    .option('--rules <file>', 'rule table that seeds a fresh appliance')
    .option('--name <name>', 'appliance name', 'sim-1')
    .option('--state <dir>', "directory kept as the appliance's flash (startup config survives restarts)")
    .addOption(jsonOption('print one JSON ready line, then JSON events'))
    .option('--no-listen', 'management side only: open no data-plane listeners')
    .addOption(new Option('--max-flows <n>', 'size of the connection table').default('262144'))
    .option('--serial', 'open a console port: a pseudo-terminal whose path the ready line gives as "serial"')
    .option('--serial-link <path>', 'also make PATH a symlink to the console, stable across restarts (like /dev/serial/by-id)')
    .option('--baud <n>', 'console line rate (8N1: baud/10 bytes per second each way)', '115200')
    .option('--noise-ber <rate>', 'console line fault injection: probability of a bit flip per bit', '0')
    .option('--noise-drop <rate>', 'console line fault injection: probability of losing a byte', '0')
    .option('--snmp <[host:]port>', 'run an SNMP agent on UDP (host defaults to 127.0.0.1; port 0 picks one); the ready line gives it as "snmp"')
    .option('--community <name>', 'SNMPv2c read-only community')
    .option('--write-community <name>', 'SNMPv2c community that may also write (weights, candidate rows, commit, confirm, rollback, failover action)')
    .option('--v3-user <name>', 'SNMPv3 user (authPriv: SHA authentication, AES privacy); v2c stays off unless a community is given too')
    .option('--v3-auth <passphrase>', "the SNMPv3 user's authentication passphrase (8+ characters)")
    .option('--v3-priv <passphrase>', "the SNMPv3 user's privacy passphrase (8+ characters)")
    .option('--v3-write', 'the SNMPv3 user may also write')
    .option('--trap-to <host:port>', 'send notifications (backend state change, commit, confirm, rollback, failover state change) there')
    .option('--snmp-contact <text>', 'MIB-II sysContact')
    .option('--snmp-location <text>', 'MIB-II sysLocation')
    .option('--trust-key <pub>', 'also accept firmware images signed by this Ed25519 public key (PEM; repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--firmware-version <x.y.z>', 'version of the factory image a new appliance boots (default 1.0.0)')
    .option('--if-counter-base <octets>', "start the data interface's IF-MIB octet counters here (e.g. 4294960000: ifInOctets wraps after a little traffic)")
    .option('--group <name>', 'join this failover group: the services listen only while this member is active')
    .option('--unit <n>', "this member's unit number in the group (1..255; a priority tie goes to the lower unit)")
    .option('--priority <p>', 'election priority 1..254, higher wins (default 100)')
    .option('--heartbeat <[host:]port>', 'UDP address the heartbeats are received on (host defaults to 127.0.0.1)')
    .option('--peer <host:port>', "a peer's heartbeat address (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option('--group-key <file>', "the group's shared HMAC key (16+ bytes; one trailing newline is ignored)")
    .option('--preempt', 'a higher-priority standby takes over from a lower-priority active (the default)')
    .option('--no-preempt', 'a working active keeps its place whatever the priorities')
    .option('--preempt-delay <ms>', 'how long a standby must outrank the active before it preempts (default 0)')
    .option('--heartbeat-interval <ms>', 'heartbeat interval (default 150; master-down is 3 intervals plus skew)')
    .option('--failover-link <path>', 'serial failover cable: opened if PATH exists, else a pseudo-terminal pair is made and PATH links to its far end')
    .action(async (opts) => (await import('../commands/sim.js')).start(opts));
  sim
    .command('fleet')
    .description('Run N simulated appliances in one process (each its own SNMP port and optional console), until SIGINT/SIGTERM')
    .requiredOption('--count <n>', 'how many appliances')
    .option('--prefix <text>', 'names are PREFIX1..PREFIXN', 'sim-')
    .option('--rules <file>', 'rule table that seeds every fresh appliance')
    .option('--state <dir>', "keep each appliance's flash in DIR/NAME")
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
    .option('--trust-key <pub>', 'also accept firmware images signed by this Ed25519 public key (PEM; repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--firmware-version <x.y.z>', 'version of the factory image new appliances boot (default 1.0.0)')
    .addOption(jsonOption('print one JSON line: {appliances: [ready lines]}'))
    .action(async (opts) => (await import('../commands/fleet.js')).fleet(opts));
}
