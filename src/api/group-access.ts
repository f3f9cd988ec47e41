/**
 * How the API's group operations reach the members: by inventory name, over the agent's shared
 * driver pool (a poll in flight and a group operation take turns on a console), every identity
 * read recorded in the store's appliance state as a poll's would be.
 */
import type { GroupAccess } from '../provision/groups/access.js';
import type { ApiContext } from './context.js';

export function apiGroupAccess(ctx: Pick<ApiContext, 'store' | 'drivers'>): GroupAccess {
  return {
    use: async (appliance, work) => {
      const record = await ctx.store.inventory.get(appliance);
      if (!record) throw new Error(`${appliance} is no longer in the inventory`);
      return ctx.drivers.use(record, work);
    },
    observed: (appliance, info) => ctx.store.applianceState.observed(appliance, Date.now(), info),
  };
}
