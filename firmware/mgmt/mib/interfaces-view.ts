/**
 * IF-MIB's interfaces group and ifXTable for the appliance's interfaces, in walk order. The
 * octet counters are kept as 64-bit totals; ifInOctets/ifOutOctets serve them modulo 2^32 as
 * Counter32 (they wrap, as on any box), ifHCInOctets/ifHCOutOctets whole as Counter64.
 */

import { IF_TYPE_ETHERNET, IfColumn, IfStatus, IfXColumn, ifEntry, ifNumber, ifXEntry } from '../../../src/protocol/mib/if-mib.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';
import { SmiType, type Varbind } from '../../../src/protocol/mib/smi.js';
import type { CountersSnapshot } from '../../../src/protocol/counters.js';

export interface InterfaceState {
  /** ifName, e.g. "data0". */
  name: string;
  /** ifDescr. */
  descr: string;
  mtu: number;
  speedBps: number;
  up: boolean;
  /** Octets received and sent since the counters started: 64-bit totals. */
  inOctets: bigint;
  outOctets: bigint;
  /** sysUpTime (TimeTicks) of the last operational change and of the last counter discontinuity. */
  lastChangeTicks: number;
  discontinuityTicks: number;
}

const U32 = 0xffff_ffff;
const TWO_32 = 1n << 32n;
const TWO_64 = 1n << 64n;

/**
 * The appliance's one data-plane interface: every octet a virtual service received from or sent
 * to its clients crosses it. `base` is where its counters started (0 on a box just powered on;
 * the simulator can start them near 2^32 so that pollers meet a Counter32 wrap within seconds).
 */
export function dataInterface(counters: CountersSnapshot, base: bigint, speedBps: number): InterfaceState {
  let rx = 0n;
  let tx = 0n;
  for (const s of counters.services) {
    rx += s.bytesIn;
    tx += s.bytesOut;
  }
  return {
    name: 'data0',
    descr: 'Fulcrum data plane (virtual services, client side)',
    mtu: 1500,
    speedBps,
    up: true,
    inOctets: (base + rx) % TWO_64,
    outOctets: (base + tx) % TWO_64,
    lastChangeTicks: 0,
    discontinuityTicks: 0,
  };
}

/** Objects (without instance) the interface view serves, in walk order. */
export const INTERFACE_OBJECTS: readonly Oid[] = [
  ifNumber,
  ...Object.values(IfColumn).map((c) => [...ifEntry, c]),
  ...Object.values(IfXColumn).map((c) => [...ifXEntry, c]),
];

export function interfaceVarbinds(interfaces: readonly InterfaceState[]): Varbind[] {
  const out: Varbind[] = [{ oid: [...ifNumber, 0], type: SmiType.Integer, value: interfaces.length }];
  const c32 = (n: bigint): number => Number(n % TWO_32);
  for (const column of Object.values(IfColumn)) {
    interfaces.forEach((i, n) => {
      const o: Oid = [...ifEntry, column, n + 1];
      switch (column) {
        case IfColumn.index:
          return out.push({ oid: o, type: SmiType.Integer, value: n + 1 });
        case IfColumn.descr:
          return out.push({ oid: o, type: SmiType.OctetString, value: i.descr });
        case IfColumn.type:
          return out.push({ oid: o, type: SmiType.Integer, value: IF_TYPE_ETHERNET });
        case IfColumn.mtu:
          return out.push({ oid: o, type: SmiType.Integer, value: i.mtu });
        case IfColumn.speed:
          return out.push({ oid: o, type: SmiType.Gauge32, value: Math.min(U32, i.speedBps) });
        case IfColumn.adminStatus:
          return out.push({ oid: o, type: SmiType.Integer, value: IfStatus.up });
        case IfColumn.operStatus:
          return out.push({ oid: o, type: SmiType.Integer, value: i.up ? IfStatus.up : IfStatus.down });
        case IfColumn.lastChange:
          return out.push({ oid: o, type: SmiType.TimeTicks, value: i.lastChangeTicks });
        case IfColumn.inOctets:
          return out.push({ oid: o, type: SmiType.Counter32, value: c32(i.inOctets) });
        case IfColumn.outOctets:
          return out.push({ oid: o, type: SmiType.Counter32, value: c32(i.outOctets) });
      }
    });
  }
  for (const column of Object.values(IfXColumn)) {
    interfaces.forEach((i, n) => {
      const o: Oid = [...ifXEntry, column, n + 1];
      switch (column) {
        case IfXColumn.name:
          return out.push({ oid: o, type: SmiType.OctetString, value: i.name });
        case IfXColumn.hcInOctets:
          return out.push({ oid: o, type: SmiType.Counter64, value: i.inOctets });
        case IfXColumn.hcOutOctets:
          return out.push({ oid: o, type: SmiType.Counter64, value: i.outOctets });
        case IfXColumn.highSpeed:
          return out.push({ oid: o, type: SmiType.Gauge32, value: Math.round(i.speedBps / 1e6) });
        case IfXColumn.counterDiscontinuityTime:
          return out.push({ oid: o, type: SmiType.TimeTicks, value: i.discontinuityTicks });
      }
    });
  }
  return out;
}
