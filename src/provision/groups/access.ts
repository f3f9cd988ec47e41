/**
 * How group operations reach the members: by inventory name, one driver per use, closed (or
 * handed back to its pool) by the front end. `observed` is told every identity read, so what a
 * group operation learns on the way (a member now active) reaches the store as a poll's would.
 */
import type { ApplianceDriver, ApplianceInfo } from '../../../drivers/driver.js';

export interface GroupAccess {
  use<T>(appliance: string, work: (driver: ApplianceDriver) => Promise<T>): Promise<T>;
  observed?: ((appliance: string, info: ApplianceInfo) => Promise<unknown>) | undefined;
}

/** The member's identity, read now and passed to `observed`. */
export async function readInfo(access: GroupAccess, appliance: string): Promise<ApplianceInfo> {
  const info = await access.use(appliance, (d) => d.info());
  // Recording what was read is a by-product: a store that cannot take it must not fail the group operation (the next poll records it).
  await Promise.resolve(access.observed?.(appliance, info)).catch(() => undefined);
  return info;
}

/** Every member's identity read now, in parallel; a member that does not answer is an Error in its place. */
export function readAll(access: GroupAccess, appliances: readonly string[]): Promise<(ApplianceInfo | Error)[]> {
  return Promise.all(appliances.map((a) => readInfo(access, a).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
