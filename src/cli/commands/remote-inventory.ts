/**
 * `fulcrum appliance list | add` against a remote agent's inventory (GET and POST
 * /api/v1/appliances), printed by the local commands' own functions (inventory.ts). Invariant:
 * `add` leaves the agent's inventory as it found it unless the appliance answered an identity
 * read through the agent (or --no-check); the agent audits the add, and the removal if it fails.
 */
import type { ApplianceInfo } from '../../../drivers/driver.js';
import type { SnmpCredentials } from '../../../drivers/snmp/target.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { InventoryItem } from '../inventory-view.js';
import type { RemoteApi } from '../remote-api.js';
import { addCredentials, printAdded, printInventory, refusedProbe, type AddOptions } from './inventory-common.js';

export async function list(api: RemoteApi, opts: { json?: boolean; live?: boolean }): Promise<void> {
  if (opts.live)
    throw new CliError(
      `--live asks each appliance from this machine; ${api.where} lists what its poller last saw: drop --live, or use \`fulcrum appliance info --to NAME\` for one appliance now`,
      EXIT.usage,
    );
  const { appliances } = await api.get<{ appliances: InventoryItem[] }>('/appliances');
  printInventory(appliances, opts);
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
