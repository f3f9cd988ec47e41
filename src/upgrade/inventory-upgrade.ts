/**
 * The upgrade a rollout runs on one appliance of the inventory: its stored target and
 * credentials, a driver for them, the upgrade over it, the driver closed whatever happens.
 * Appliances reached over SNMP fetch the image themselves over HTTP: an image server is
 * started on first need (on `serveAddress`, default 127.0.0.1 on any port) and stopped by close().
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import { connectTarget, storedCredentials } from '../provision/connect.js';
import type { Inventory } from '../store/inventory.js';
import { startImageServer, type ImageServer } from './image-server.js';
import type { UpgradeOne } from './rollout/index.js';
import { upgradeAppliance } from './upgrade.js';

export interface InventoryUpgrader {
  upgrade: UpgradeOne;
  close(): Promise<void>;
}

export function inventoryUpgrader(
  inventory: Pick<Inventory, 'get'>,
  options: {
    serveAddress?: { host: string; port: number; advertise?: string };
    connect?: (target: string, credentials: ReturnType<typeof storedCredentials>) => Promise<ApplianceDriver>;
  } = {},
): InventoryUpgrader {
  let server: Promise<ImageServer> | null = null;
  const connect = options.connect ?? connectTarget;
  return {
    upgrade: async (name, image, signal, fence) => {
      const record = await inventory.get(name);
      if (!record) throw new Error(`${name} is no longer in the inventory`);
      let imageUrl: string | undefined;
      if (record.target.startsWith('snmp:')) {
        const a = options.serveAddress;
        server ??= startImageServer(a?.host ?? '127.0.0.1', a?.port ?? 0, a?.advertise);
        imageUrl = (await server).add(image);
      }
      const driver = await connect(record.target, storedCredentials(record.credentials));
      try {
        const result = await upgradeAppliance(driver, image, { signal, fence, ...(imageUrl ? { imageUrl } : {}) });
        return { version: result.version, confirmed: result.confirmed };
      } finally {
        await driver.close().catch(() => undefined);
      }
    },
    close: async () => {
      if (server) await (await server).close();
    },
  };
}
