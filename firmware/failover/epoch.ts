/**
 * The boot id a member puts in every message: strictly above the one of any earlier boot, so
 * peers accept a restarted member's sequence numbers from 1 again while a recorded message of an
 * earlier boot stays a replay. Wall-clock milliseconds at boot, but never at or below the last
 * epoch kept in storage (a clock set back, two boots in one millisecond).
 */
import type { Clock, StoragePort } from '../ports.js';

export const EPOCH_FILE = 'failover-epoch';

export async function nextEpoch(storage: StoragePort, clock: Clock): Promise<number> {
  const stored = await storage.read(EPOCH_FILE);
  const last = stored ? Number(new TextDecoder().decode(stored)) : 0;
  const epoch = Math.max(Number.isSafeInteger(last) ? last + 1 : 0, Math.floor(clock.epochMs()));
  await storage.writeAtomic(EPOCH_FILE, new TextEncoder().encode(String(epoch)));
  return epoch;
}
