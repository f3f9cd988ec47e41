/**
 * How the CLI's group commands reach the members: by inventory name, on this machine's drivers
 * (a console a running monitor holds is reached through it; never a remote context), one driver
 * per use. Every identity read is recorded in the store's appliance state, as a poll's would be,
 * so a failover seen by `group failover` is in `group list` and in the event log at once.
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import type { GroupAccess } from '../provision/groups/access.js';
import type { AgentStore } from '../store/index.js';
import { connect } from './connect.js';

export function cliGroupAccess(store: AgentStore, db: string | undefined): GroupAccess {
  return {
    async use<T>(appliance: string, work: (d: ApplianceDriver) => Promise<T>): Promise<T> {
      const driver = await connect({ to: appliance, ...(db !== undefined ? { db } : {}), context: '' });
      try {
        return await work(driver);
      } finally {
        await driver.close().catch(() => undefined);
      }
    },
    observed: (appliance, info) => store.applianceState.observed(appliance, Date.now(), info),
  };
}
