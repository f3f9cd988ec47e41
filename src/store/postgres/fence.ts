/**
 * The fence check every fenced write on PostgreSQL runs inside its own transaction: the
 * appliance's lease row, locked for the rest of the transaction (FOR SHARE: a takeover waits
 * until this write is in or out), must still be the fence's agent's, at its epoch, unexpired on
 * the server's clock.
 */
import type { PgClient } from './connection.js';
import { StaleLeaseError, type Fence } from '../ownership.js';

export async function checkFence(client: PgClient, appliance: string, fence: Fence | undefined): Promise<void> {
  if (!fence) return;
  const epoch = fence.epochs.get(appliance);
  const held =
    epoch !== undefined &&
    (
      await client.query('SELECT 1 FROM appliance_leases WHERE appliance = $1 AND agent = $2 AND epoch = $3 AND expires > now() FOR SHARE', [
        appliance,
        fence.agent,
        epoch,
      ])
    ).rowCount === 1;
  if (!held) throw new StaleLeaseError(appliance, fence.agent);
}
