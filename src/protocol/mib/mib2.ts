/**
 * The few standard OIDs an appliance's agent serves or sends besides FULCRUM-MIB: the MIB-II
 * `system` group (SNMPv2-MIB, RFC 3418) and the varbinds every SNMPv2 notification starts with.
 */

import { oid } from './oid.js';

export const mib2System = oid(1, 3, 6, 1, 2, 1, 1);
export const sysDescr = oid(mib2System, 1);
export const sysObjectID = oid(mib2System, 2);
export const sysUpTime = oid(mib2System, 3);
export const sysContact = oid(mib2System, 4);
export const sysName = oid(mib2System, 5);
export const sysLocation = oid(mib2System, 6);
export const sysServices = oid(mib2System, 7);

/** sysServices: layer 4 (end-to-end: it terminates TCP) + layer 7 (applications): 2^3 + 2^6. */
export const SYS_SERVICES_LOAD_BALANCER = 8 + 64;

/** snmpTrapOID.0: the second varbind of an SNMPv2-Trap, naming the notification (RFC 3416 4.2.6). */
export const snmpTrapOID = oid(1, 3, 6, 1, 6, 3, 1, 1, 4, 1);
