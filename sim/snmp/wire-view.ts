/**
 * A MibView in the shape net-snmp's encoder takes: dotted OID strings, Counter64 as 8-byte
 * Buffers (a number there is accepted by net-snmp and then crashes its encoder), octet strings as
 * Buffers or text — plus each varbind's encoded size, so a response can be kept under the
 * message size limit without encoding it twice.
 *
 * Conversion is lazy and cached per instance: a GET touches a few varbinds, a walk each one once.
 */

import { servedObjectOf, type MibView } from '../../firmware/mgmt/mib-view.js';
import { formatOid, type Oid } from '../../src/protocol/mib/oid.js';
import { SmiType, type Varbind } from '../../src/protocol/mib/smi.js';

/** BER tags of the exceptions a response varbind can carry instead of a value (RFC 3416). */
export const Exception = { noSuchObject: 128, noSuchInstance: 129, endOfMibView: 130 } as const;

export interface WireVarbind {
  oid: string;
  type: number;
  value: number | string | Buffer | null;
}

/** A wire varbind with its encoded size (bytes of the whole VarBind SEQUENCE). */
export interface SizedVarbind extends WireVarbind {
  size: number;
}

/** What the responder reads: instances in walk order, each with its wire form. */
export interface ReadView {
  readonly length: number;
  at(i: number): SizedVarbind;
  /** The position of the instance `o`, or -1. */
  indexOf(o: Oid): number;
  /** The position of the first instance after `o`; `length` past the end. */
  nextIndex(o: Oid): number;
  /** Whether `o` is under an object served here (noSuchInstance rather than noSuchObject). */
  serves(o: Oid): boolean;
}

export class WireView implements ReadView {
  private readonly cache: (SizedVarbind | undefined)[];

  constructor(readonly view: MibView) {
    this.cache = new Array<SizedVarbind | undefined>(view.varbinds.length);
  }

  get length(): number {
    return this.view.varbinds.length;
  }

  at(i: number): SizedVarbind {
    let w = this.cache[i];
    if (!w) {
      w = wireVarbind(this.view.varbinds[i]!);
      this.cache[i] = w;
    }
    return w;
  }

  indexOf(o: Oid): number {
    return this.view.indexOf(o);
  }

  nextIndex(o: Oid): number {
    return this.view.nextIndex(o);
  }

  serves(o: Oid): boolean {
    return servedObjectOf(o) !== null;
  }
}

function u64(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(value);
  return b;
}

/** A varbind in net-snmp's shape, with its encoded size. */
export function wireVarbind(v: Varbind): SizedVarbind {
  const oid = formatOid(v.oid);
  switch (v.type) {
    case SmiType.Counter64:
      return { oid, type: v.type, value: u64(v.value), size: varbindSize(v.oid, 9) };
    case SmiType.OctetString: {
      const value = typeof v.value === 'string' ? v.value : Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength);
      const length = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
      return { oid, type: v.type, value, size: varbindSize(v.oid, length) };
    }
    case SmiType.ObjectIdentifier:
      return { oid, type: v.type, value: formatOid(v.value), size: varbindSize(v.oid, oidContentLength(v.value)) };
    default:
      // INTEGER, Counter32, Gauge32, TimeTicks: at most 4 value bytes plus a sign byte.
      return { oid, type: v.type, value: v.value, size: varbindSize(v.oid, 5) };
  }
}

/** Bytes of a BER length field for `n` content bytes. */
function lengthOfLength(n: number): number {
  return n < 0x80 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 4;
}

function tlv(content: number): number {
  return 1 + lengthOfLength(content) + content;
}

/** Content bytes of an OID: the first two arcs share one subidentifier, then base-128 arcs. */
export function oidContentLength(o: Oid): number {
  let n = 1;
  for (let i = 2; i < o.length; i++) {
    const a = o[i]!;
    n += a < 0x80 ? 1 : a < 0x4000 ? 2 : a < 0x20_0000 ? 3 : a < 0x1000_0000 ? 4 : 5;
  }
  return n;
}

/** An upper bound of the encoded size of a VarBind whose value has `valueContent` bytes. */
export function varbindSize(o: Oid, valueContent: number): number {
  return tlv(tlv(oidContentLength(o)) + tlv(valueContent));
}
