/** `fulcrum firmware …`: Firmware: signing keys, signed images, and upgrades of appliances. Defined only when the command line names the group. */

import type { Command } from 'commander';
import { jsonOption, targetOptions } from '../options.js';

export function define(firmware: Command): void {
  firmware
    .command('keygen')
    .description('Make an Ed25519 signing key pair: DIR/signing.key (private, mode 0600) and DIR/signing.pub')
    .requiredOption('--out <dir>', 'directory for the key files (created if missing)')
    .option('--force', 'replace an existing key pair (images signed with the old key stop verifying against the new signing.pub)')
    .addOption(jsonOption('machine-readable output: {key, pub, keyId}'))
    .action(async (opts) => (await import('../commands/firmware.js')).keygen(opts));
  firmware
    .command('build')
    .description('Build a signed firmware image (written atomically)')
    .requiredOption('--version <version>', 'firmware version MAJOR.MINOR.PATCH or MAJOR.MINOR.PATCH+BUILD')
    .requiredOption('--security-counter <n>', 'anti-rollback counter 0..4294967295: appliances refuse images below the counter they run')
    .requiredOption('--key <file>', 'signing key (signing.key from `firmware keygen`)')
    .requiredOption('--out <file>', 'image file to write')
    .option('--payload-size <bytes>', 'generate a deterministic payload of this size (e.g. 4096, 64KiB, 1MiB)')
    .option('--payload <file>', 'use this file as the payload')
    .option(
      '--simulate <behaviour>',
      'simulator behaviour, repeatable: crash-on-boot, fails-health, slow-boot',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(jsonOption('machine-readable output: {file, version, securityCounter, size, sha256, keyId, simulate}'))
    .action(async (opts) => (await import('../commands/firmware.js')).build(opts));
  firmware
    .command('inspect')
    .description('Show what a firmware image holds; with --pubkey, verify its signature (a key that does not verify it: exit 3)')
    .argument('<file>', 'firmware image')
    .option('--pubkey <file>', 'trusted public key (signing.pub), repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(jsonOption('machine-readable output: {version, securityCounter, size, sha256, keyId, verified, simulate}'))
    .action(async (file: string, opts) => (await import('../commands/firmware.js')).inspect(file, opts));
  targetOptions(firmware.command('upgrade'))
    .description('Upload an image to the inactive slot (resumable), boot it on trial, wait until it confirms itself — or the appliance reverts and this fails')
    .argument('<image>', 'firmware image file')
    .option(
      '--serve-address <host:port[/advertised]>',
      'over SNMP the appliance fetches the image over HTTP from the agent: listen here (default 127.0.0.1:0); /HOST:PORT is the address the appliance should use, behind NAT',
    )
    .addOption(jsonOption('machine-readable output: {version, bytes, uploadSeconds, rebootSeconds, confirmed}'))
    .action(async (file: string, opts) => (await import('../commands/firmware-device.js')).upgrade(file, opts));
  targetOptions(firmware.command('status'))
    .description("An appliance's firmware slots: the running image, each slot's version and state, the anti-rollback minimum")
    .addOption(jsonOption('machine-readable output: {active: {slot, version, confirmed}, slots: [{slot, version, state, securityCounter}]}'))
    .action(async (opts) => (await import('../commands/firmware-device.js')).status(opts));
  targetOptions(firmware.command('rollback'))
    .description('Reboot into the previously confirmed image')
    .addOption(jsonOption())
    .action(async (opts) => (await import('../commands/firmware-device.js')).rollback(opts));
}
