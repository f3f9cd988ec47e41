/**
 * The API's form of SNMP credentials ({community} or {v3User, v3Auth, v3Priv}) in the
 * inventory's form, for adding an appliance and for changing one. Invariant: credentials are
 * refused unless they fit the address — an SNMP address needs one complete kind, a console none.
 */
import type { Static } from '@sinclair/typebox';
import type { Credentials } from '../store/inventory.js';
import { ApiError } from './errors.js';
import type { Credentials as ApiCredentials } from './schemas.js';

type Given = Static<typeof ApiCredentials>;

export function toStored(address: string, given: Given | undefined): Credentials {
  const c = given ?? {};
  const v3 = [c.v3User, c.v3Auth, c.v3Priv];
  const v3Given = v3.some((v) => v !== undefined);
  if (c.community !== undefined && v3Given)
    throw new ApiError(400, 'invalidRequest', 'body.credentials: give community (v2c) or v3User/v3Auth/v3Priv (v3), not both');
  if (v3Given && v3.some((v) => v === undefined))
    throw new ApiError(400, 'invalidRequest', 'body.credentials: SNMPv3 needs v3User, v3Auth and v3Priv together');
  const isSnmp = address.startsWith('snmp:');
  if (isSnmp && c.community === undefined && !v3Given) {
    throw new ApiError(400, 'invalidRequest', 'body.credentials: an SNMP appliance needs {community} or {v3User, v3Auth, v3Priv}');
  }
  if (!isSnmp && (c.community !== undefined || v3Given)) throw new ApiError(400, 'invalidRequest', 'body.credentials: only SNMP appliances take credentials');
  if (c.community !== undefined) return { community: c.community };
  if (v3Given) return { user: c.v3User!, authProtocol: 'sha', authKey: c.v3Auth!, privProtocol: 'aes', privKey: c.v3Priv! };
  return {};
}
