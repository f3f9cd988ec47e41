/**
 * `fulcrum appliance add | update | list | remove`: the inventory in the store. `add` and
 * `update` first read the appliance's identity at the address (and with the credentials) given,
 * and change nothing when it does not answer — a wrong key looks exactly like a missing device,
 * so both are refused — unless --no-check. Credentials come from flags, files or the environment
 * (src/cli/connect.ts) and are sealed as the inventory stores them. Every change is audited.
 */
import { applianceOwners } from '../../store/agents-view.js';
import type { ApplianceInfo } from '../../../drivers/driver.js';
import type { SnmpCredentials } from '../../../drivers/snmp/target.js';
import type { AgentStore } from '../../store/index.js';
import { credentialKind, type ApplianceRecord, type Credentials } from '../../store/inventory.js';
import { CliError, EXIT, unknownName } from '../exit-codes.js';
import { connectTarget, fromEnvironment, fromFlags, storedCredentials, withDriver } from '../connect.js';
import { printJson } from '../output.js';
import { recordCliChange } from '../audit-cli.js';
import { liveItem, storedItem } from '../inventory-view.js';
import {
  addCredentials,
  askEach,
  printAdded,
  printInventory,
  printUpdated,
  refusedProbe,
  SNMP_NEEDS,
  type AddOptions,
  type DbOption,
  type UpdateOptions,
} from './inventory-common.js';
import { TARGET_FORMS, targetKind } from '../../../drivers/targets.js';
import { remoteApi, type ReachFlags } from '../remote-api.js';

/** A change to audit (src/cli/audit-cli.ts): ok once `work` returns, failed when it throws. */
interface Change {
  action: string;
  appliance: string;
  detail?: Record<string, unknown>;
}

async function withStore<T>(opts: DbOption, work: (s: AgentStore) => Promise<T>, change?: Change): Promise<T> {
  const { openStore, InventoryError } = await import('../../store/index.js');
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    const result = await work(store);
    if (change)
      await recordCliChange(store, change.action, { appliance: change.appliance, outcome: 'ok', ...(change.detail ? { detail: change.detail } : {}) });
    return result;
  } catch (err) {
    if (change)
      await recordCliChange(store, change.action, {
        appliance: change.appliance,
        outcome: 'failed',
        detail: { ...change.detail, error: (err as Error).message },
      });
    // Every inventory complaint is about the input: a bad name or target, a duplicate, an unknown name.
    if (err instanceof InventoryError) throw new CliError(err.code === 'notFound' ? unknownName(change?.appliance ?? '') : err.message, EXIT.invalidInput);
    throw err;
  } finally {
    await store.close();
  }
}

/** The inventory's form of the credentials a driver takes. */
function toStored(c: SnmpCredentials | null): Credentials {
  if (c?.version === '2c') return { community: c.community };
  if (c?.version === '3') return { user: c.user, authProtocol: 'sha', authKey: c.authKey, privProtocol: 'aes', privKey: c.privKey };
  return {};
}

/**
 * The identity read that `add` and `update` make before changing anything. Not answering
 * (exit 4) covers a missing device and, over SNMP, wrong credentials: the agent drops those.
 */
async function probe(name: string, target: string, credentials: SnmpCredentials | null): Promise<ApplianceInfo> {
  const driver = await connectTarget(target, credentials).catch((err: unknown) => Promise.reject(refusedProbe(name, target, err)));
  try {
    return await driver.info();
  } catch (err) {
    throw refusedProbe(name, target, err);
  } finally {
    await driver.close().catch(() => undefined);
  }
}

export async function add(name: string, target: string, opts: AddOptions): Promise<void> {
  const api = await remoteApi(opts);
  if (api) return (await import('./remote-inventory.js')).add(api, name, target, opts);
  const c = addCredentials(target, opts);
  // A duplicate is refused before the appliance is asked anything.
  if (await withStore(opts, async (s) => (await s.inventory.get(name)) !== null))
    throw new CliError(`an appliance named "${name}" already exists`, EXIT.invalidInput);
  const info = opts.check === false ? null : await probe(name, target, c);
  const credentials = toStored(c);
  const record = await withStore(opts, (s) => s.inventory.add({ name, target, credentials, ...(opts.site !== undefined ? { site: opts.site } : {}) }), {
    action: 'appliance add',
    appliance: name,
    detail: { target, credentials: credentialKind(credentials), checked: info !== null },
  });
  printAdded({ name: record.name, address: record.target, created: record.created }, info, opts.json);
}

export async function update(name: string, opts: UpdateOptions): Promise<void> {
  const api = await remoteApi(opts);
  if (api) return (await import('./remote-inventory.js')).update(api, name, opts);
  const given = fromFlags(opts);
  if (opts.target === undefined && given === null && opts.site === undefined)
    throw new CliError('appliance update: give --target, credentials (--community-file, --v3-user …) and/or --site', EXIT.usage);
  // A new site alone moves nothing on the wire: nothing to check with the appliance.
  if (opts.target === undefined && given === null) {
    const site = opts.site!;
    const record = await withStore(opts, (s) => s.inventory.update(name, { site }), { action: 'appliance update', appliance: name, detail: { site } });
    return printUpdated({ name: record.name, address: record.target, credentials: credentialKind(record.credentials) }, null, opts.json);
  }
  if (opts.target !== undefined && targetKind(opts.target) === null) throw new CliError(`--target ${opts.target}: expected ${TARGET_FORMS}`, EXIT.usage);
  const current = await withStore(opts, (s) => s.inventory.get(name));
  if (!current) throw new CliError(unknownName(name), EXIT.invalidInput);
  const target = opts.target ?? current.target;
  const snmp = target.startsWith('snmp:');
  if (!snmp && given) throw new CliError(`${target}: only SNMP appliances take credentials`, EXIT.usage);
  // Credentials follow the target: kept for SNMP unless new ones are given, dropped for a console.
  const driverCredentials = snmp ? (given ?? storedCredentials(current.credentials) ?? fromEnvironment()) : null;
  if (snmp && !driverCredentials) throw new CliError(SNMP_NEEDS, EXIT.usage);
  const info = opts.check === false ? null : await probe(name, target, driverCredentials);
  const credentials = snmp ? toStored(driverCredentials) : {};
  const moved = target !== current.target;
  const record = await withStore(
    opts,
    async (s) => {
      const r = await s.inventory.update(name, { target, credentials, ...(opts.site !== undefined ? { site: opts.site } : {}) });
      if (moved) await s.applianceState.forget(name);
      return r;
    },
    {
      action: 'appliance update',
      appliance: name,
      detail: { before: current.target, target, credentials: credentialKind(credentials), checked: info !== null },
    },
  );
  printUpdated({ name: record.name, address: record.target, credentials: credentialKind(record.credentials) }, info, opts.json);
}

export async function list(opts: DbOption & ReachFlags & { live?: boolean }): Promise<void> {
  const api = await remoteApi(opts);
  if (api) return (await import('./remote-inventory.js')).list(api, opts);
  const { records, states, owner } = await withStore(opts, async (s) => ({
    records: await s.inventory.list(),
    states: await s.applianceState.all(),
    owner: await applianceOwners(s),
  }));
  const now = Date.now();
  printInventory(opts.live ? await askAll(records, opts.db) : records.map((r) => storedItem(r, states.get(r.name) ?? null, now, owner(r.name))), opts);
}

/** Every appliance's identity read now, a few at a time; a console a running monitor holds is asked through it. */
function askAll(records: readonly ApplianceRecord[], db: string | undefined) {
  return askEach(records, async (r) => {
    // This machine's inventory, so this machine's drivers: never a remote context (context '').
    const answer = await withDriver({ to: r.name, ...(db ? { db } : {}), context: '' }, (d) => d.info()).then(
      (info) => ({ info }),
      (err: unknown) => ({ error: (err as Error).message }),
    );
    return liveItem(r, answer, Date.now());
  });
}

export async function remove(name: string, opts: DbOption & ReachFlags): Promise<void> {
  const api = await remoteApi(opts);
  if (api) await api.send('DELETE', `/appliances/${encodeURIComponent(name)}`);
  else await withStore(opts, (s) => s.inventory.remove(name), { action: 'appliance remove', appliance: name });
  if (opts.json) printJson({ removed: name });
  else process.stdout.write(`removed ${name}\n`);
}
