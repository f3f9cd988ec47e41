/**
 * OIDs as FULCRUM-MIB names them (`fulcrumCandServiceHealthPath.1`), for errors an operator
 * reads: the object whose descriptor is the longest prefix of the OID, then the instance arcs.
 * An OID outside the module stays numeric.
 */

import { FulcrumMib as M, formatOid } from '../../src/protocol/mib/index.js';

/** Descriptor by dotted OID, every object fulcrum-mib.ts names. */
const NAMES = new Map<string, string>(
  Object.entries(M)
    .filter((e): e is [string, readonly number[]] => e[0].startsWith('fulcrum') && Array.isArray(e[1]))
    .map(([name, o]) => [formatOid(o), name]),
);

export function columnName(oid: string): string {
  const arcs = oid.split('.');
  for (let n = arcs.length; n > 0; n--) {
    const name = NAMES.get(arcs.slice(0, n).join('.'));
    if (name) return n === arcs.length ? name : `${name}.${arcs.slice(n).join('.')}`;
  }
  return oid;
}
