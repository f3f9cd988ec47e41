/**
 * What `PATCH /appliances/:name` stores: the address and credentials an appliance changes to,
 * decided as `fulcrum appliance update` decides them on the agent's machine
 * (src/cli/commands/inventory.ts). Invariant: credentials follow the address — kept for SNMP
 * unless new ones are given, dropped for a console — and an SNMP address with none, given or
 * stored, is refused before anything is asked or changed.
 */
import { credentialKind, type ApplianceRecord, type Credentials } from '../store/inventory.js';
import { toStored } from './appliance-credentials.js';
import { ApiError } from './errors.js';
import type { ApplianceChange } from './schemas.js';

export interface PlannedChange {
  target: string;
  credentials: Credentials;
  /** A new address: what was seen at the old one says nothing of the new one. */
  moved: boolean;
}

export function planChange(current: ApplianceRecord, body: ApplianceChange): PlannedChange {
  if (body.address === undefined && body.credentials === undefined) throw new ApiError(400, 'invalidRequest', 'body: give address and/or credentials');
  const target = body.address ?? current.target;
  const snmp = target.startsWith('snmp:');
  if (!snmp && body.credentials !== undefined) throw new ApiError(400, 'invalidRequest', `body.credentials: ${target}: only SNMP appliances take credentials`);
  let credentials: Credentials = {};
  if (snmp && body.credentials !== undefined) credentials = toStored(target, body.credentials);
  else if (snmp && credentialKind(current.credentials) !== 'none') credentials = current.credentials;
  else if (snmp)
    // A code of its own: the CLI then offers the credentials of its environment, as it does locally.
    throw new ApiError(
      400,
      'credentialsNeeded',
      `body.credentials: ${current.name} has none stored, and an SNMP appliance needs {community} or {v3User, v3Auth, v3Priv}`,
    );
  return { target, credentials, moved: target !== current.target };
}
