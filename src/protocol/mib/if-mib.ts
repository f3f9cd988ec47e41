/**
 * The part of IF-MIB (RFC 2863) an appliance serves for its data-plane interface: the
 * interfaces group's ifTable with its Counter32 octet counters, and ifXTable with the
 * Counter64 (high-capacity) ones. Every NMS polls these on every box, and ifInOctets is the
 * classic Counter32 that wraps (every 3.4 s at 10 Gb/s): pollers must handle it.
 */

import { oid } from './oid.js';

export const mib2Interfaces = oid(1, 3, 6, 1, 2, 1, 2);
export const ifNumber = oid(mib2Interfaces, 1);
export const ifTable = oid(mib2Interfaces, 2);
export const ifEntry = oid(ifTable, 1);

/** ifEntry columns served (a subset of RFC 2863's: no packet counters). */
export const IfColumn = {
  index: 1,
  descr: 2,
  type: 3,
  mtu: 4,
  speed: 5,
  adminStatus: 7,
  operStatus: 8,
  lastChange: 9,
  inOctets: 10,
  outOctets: 16,
} as const;

export const ifXTable = oid(1, 3, 6, 1, 2, 1, 31, 1, 1);
export const ifXEntry = oid(ifXTable, 1);

export const IfXColumn = {
  name: 1,
  hcInOctets: 6,
  hcOutOctets: 10,
  highSpeed: 15,
  counterDiscontinuityTime: 19,
} as const;

/** IANAifType ethernetCsmacd. */
export const IF_TYPE_ETHERNET = 6;
/** ifAdminStatus / ifOperStatus. */
export const IfStatus = { up: 1, down: 2 } as const;

export const ifInOctets = oid(ifEntry, IfColumn.inOctets);
export const ifOutOctets = oid(ifEntry, IfColumn.outOctets);
export const ifName = oid(ifXEntry, IfXColumn.name);
export const ifHCInOctets = oid(ifXEntry, IfXColumn.hcInOctets);
export const ifHCOutOctets = oid(ifXEntry, IfXColumn.hcOutOctets);
