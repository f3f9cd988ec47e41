/**
 * What the local `appliance` commands (inventory.ts) and those run against a remote agent
 * (remote-inventory.ts) share, so both check their input and print their answers alike: the
 * credentials `add` takes for a target, the refusal of an appliance that did not answer, and
 * the output of `add` and `list`. Imports neither of them (no cycle).
 */
import type { ApplianceInfo } from '../../../drivers/driver.js';
import type { SnmpCredentials } from '../../../drivers/snmp/target.js';
import { TARGET_FORMS, targetKind } from '../../../drivers/targets.js';
import { fromEnvironment, fromFlags, type CredentialFlags } from '../connect.js';
import { CliError, EXIT } from '../exit-codes.js';
import { inventoryTable, type InventoryItem } from '../inventory-view.js';
import { printJson } from '../output.js';
import type { ReachFlags } from '../remote-api.js';

export interface DbOption {
  db?: string;
  json?: boolean;
}

export const SNMP_NEEDS =
  'an SNMP appliance needs --community-file FILE (or $FULCRUM_SNMP_COMMUNITY), or --v3-user with --v3-auth-file/--v3-priv-file (or $FULCRUM_SNMP_V3_AUTH/_PRIV)';

export function refusedProbe(name: string, target: string, err: unknown): CliError {
  const why = (err as Error).message;
  const code = err instanceof CliError ? err.exitCode : EXIT.unreachable;
  // The SNMP driver's message already says that wrong credentials look like no answer.
  return new CliError(`${name}: ${target} did not answer an identity read: ${why}; nothing was changed (--no-check to store it anyway)`, code);
}

export interface AddOptions extends DbOption, CredentialFlags, ReachFlags {
  /** false with --no-check. */
  check?: boolean;
  /** Where it is: on a shared store only agents of this site poll it. */
  site?: string;
}

export interface UpdateOptions extends AddOptions {
  target?: string;
}

/** The credentials `add` stores for `target`, from flags or the environment; checked against the kind of target. */
export function addCredentials(target: string, opts: CredentialFlags): SnmpCredentials | null {
  if (targetKind(target) === null) throw new CliError(`${target}: expected ${TARGET_FORMS}`, EXIT.usage);
  const snmp = target.startsWith('snmp:');
  const c = fromFlags(opts) ?? (snmp ? fromEnvironment() : null);
  if (snmp && !c) throw new CliError(SNMP_NEEDS, EXIT.usage);
  if (!snmp && c) throw new CliError(`${target}: only SNMP appliances take credentials`, EXIT.usage);
  return c;
}

/** What `add` prints once the appliance is in the inventory. */
export function printAdded(record: { name: string; address: string; created: number }, info: ApplianceInfo | null, json: boolean | undefined): void {
  if (json) return printJson({ name: record.name, address: record.address, created: record.created, identity: info });
  process.stdout.write(
    `added ${record.name} (${record.address})${info ? `: ${info.model} ${info.serialNumber}, firmware ${info.firmware}` : ' without checking it'}\n`,
  );
}

/** What `update` prints once the inventory holds the change. */
export function printUpdated(record: { name: string; address: string; credentials: string }, info: ApplianceInfo | null, json: boolean | undefined): void {
  if (json) return printJson({ name: record.name, address: record.address, credentials: record.credentials, identity: info });
  process.stdout.write(
    `updated ${record.name}: ${record.address}, credentials ${record.credentials}${info ? `; answers as ${info.model} ${info.serialNumber}` : ' (not checked)'}\n`,
  );
}

/** Appliances asked at once by `list --live`, here or through an agent. */
export const LIVE_CONCURRENCY = 8;

/** `ask` on every item, LIVE_CONCURRENCY at a time, the answers in the items' order. */
export async function askEach<I, O>(items: readonly I[], ask: (item: I) => Promise<O>): Promise<O[]> {
  const out: O[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await ask(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIVE_CONCURRENCY, items.length) }, worker));
  return out;
}

/** What `list` prints: the API's items as JSON, or the table. */
export function printInventory(items: readonly InventoryItem[], opts: { json?: boolean; live?: boolean }): void {
  if (opts.json) return printJson({ appliances: items });
  if (items.length === 0) return void process.stdout.write('no appliances yet (fulcrum appliance add NAME TARGET)\n');
  process.stdout.write(`${inventoryTable(items, Date.now(), opts.live === true)}\n`);
}
