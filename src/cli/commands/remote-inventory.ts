/**
 * `fulcrum appliance list [--live] | add | update` against a remote agent's inventory (GET, POST
 * and PATCH /api/v1/appliances, GET /api/v1/appliances/NAME for --live), printed by the local
 * commands' own functions (inventory-common.ts). Invariant: `add` leaves the agent's inventory
 * as it found it unless the appliance answered an identity read through the agent (or
 * --no-check); `update` changes nothing unless the agent read it at the new address (or
 * --no-check); the agent audits both, and the removal of an add that failed.
 */
import type { ApplianceInfo } from '../../../drivers/driver.js';
import type { SnmpCredentials } from '../../../drivers/snmp/target.js';
import { CliError, EXIT } from '../exit-codes.js';
import { TARGET_FORMS, targetKind } from '../../../drivers/targets.js';
import { fromEnvironment, fromFlags } from '../connect.js';
import { liveEntry, type InventoryEntry, type InventoryItem } from '../inventory-view.js';
import { AgentError, type RemoteApi } from '../remote-api.js';
import type { UpdateOptions } from './inventory-common.js';
import { addCredentials, askEach, printAdded, printInventory, printUpdated, refusedProbe, SNMP_NEEDS, type AddOptions } from './inventory-common.js';

export async function list(api: RemoteApi, opts: { json?: boolean; live?: boolean }): Promise<void> {
  const { appliances } = await api.get<{ appliances: InventoryItem[] }>('/appliances');
  printInventory(opts.live ? await askAll(api, appliances) : appliances, opts);
}

/** Every appliance's identity read now by the agent (GET /appliances/NAME, queued with its polls). */
function askAll(api: RemoteApi, entries: readonly InventoryEntry[]): Promise<InventoryItem[]> {
  return askEach(entries, async (entry) => {
    const answer = await api.get<ApplianceInfo>(`/appliances/${encodeURIComponent(entry.name)}`).then(
      (info) => ({ info }),
      // The agent's words for why the appliance did not answer, as the local list shows the driver's.
      (err: unknown) => ({ error: err instanceof AgentError ? err.detail : (err as Error).message }),
    );
    return liveEntry(entry, answer, Date.now());
  });
}

/** The API's form of the credentials (src/api/routes/appliances.ts). */
function apiCredentials(c: SnmpCredentials | null): Record<string, string> | undefined {
  if (c?.version === '2c') return { community: c.community };
  if (c?.version === '3') return { v3User: c.user, v3Auth: c.authKey, v3Priv: c.privKey };
  return undefined;
}

export async function add(api: RemoteApi, name: string, target: string, opts: AddOptions): Promise<void> {
  const credentials = apiCredentials(addCredentials(target, opts));
  const item = await api.send<InventoryItem>('POST', '/appliances', { name, address: target, ...(credentials ? { credentials } : {}) });
  const path = `/appliances/${encodeURIComponent(name)}`;
  let info: ApplianceInfo | null = null;
  if (opts.check !== false) {
    try {
      // The route answers the inventory's name and address beside the identity: the identity alone, as locally.
      const { name: _name, address: _address, ...identity } = await api.get<ApplianceInfo & { name: string; address: string }>(path);
      info = identity;
    } catch (err) {
      // The agent could not read its identity: take it out again, as a local add would not have stored it.
      await api.send('DELETE', path).catch(() => undefined);
      throw refusedProbe(name, target, err);
    }
  }
  printAdded(item, info, opts.json);
}

/** What PATCH /appliances/NAME answers (src/api/routes/appliances.ts). */
interface Updated {
  name: string;
  address: string;
  credentials: string;
  identity: ApplianceInfo | null;
}

/**
 * `appliance update` through the agent: it reads the identity at the new address before it
 * changes anything, as the local command does. Credentials are the flags', else those the agent
 * holds, else (when it holds none for an SNMP address) this environment's — the local order.
 */
export async function update(api: RemoteApi, name: string, opts: UpdateOptions): Promise<void> {
  const given = fromFlags(opts);
  if (opts.target === undefined && given === null)
    throw new CliError('appliance update: give --target and/or credentials (--community-file, --v3-user …)', EXIT.usage);
  if (opts.target !== undefined && targetKind(opts.target) === null) throw new CliError(`--target ${opts.target}: expected ${TARGET_FORMS}`, EXIT.usage);
  const path = `/appliances/${encodeURIComponent(name)}`;
  const change = (credentials: Record<string, string> | undefined) =>
    api.send<Updated>('PATCH', path, {
      ...(opts.target !== undefined ? { address: opts.target } : {}),
      ...(credentials ? { credentials } : {}),
      check: opts.check !== false,
    });
  let updated: Updated;
  try {
    updated = await change(apiCredentials(given)).catch((err: unknown) => {
      if (!(err instanceof AgentError && err.code === 'credentialsNeeded')) throw err;
      const fallback = fromEnvironment();
      if (!fallback) throw new CliError(SNMP_NEEDS, EXIT.usage);
      return change(apiCredentials(fallback));
    });
  } catch (err) {
    // The agent could not read the identity there; as locally, say how to store it anyway.
    if (err instanceof AgentError && err.exitCode === EXIT.unreachable) throw new CliError(`${err.message} (--no-check to store it anyway)`, err.exitCode);
    throw err;
  }
  printUpdated(updated, updated.identity, opts.json);
}
