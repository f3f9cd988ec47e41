/**
 * SNMPv2c GetResponse datagrams of a counters walk, read straight into a frame: each varbind's
 * OID must be the one the appliance's layout (./frame-layout.ts) expects at that point of the
 * walk, its value of the type the layout recorded, and an identity (a service's name, a
 * backend's address) the same bytes as before. Anything else throws — LayoutMismatchError,
 * naming the OID, when the appliance now answers differently (its rule table changed: the driver
 * learns the layout again), BerError for a malformed datagram — so a frame never holds a value
 * from the wrong row.
 */
import { DriverError } from '../driver.js';
import { BerCursor, BerError, Tag, decodeOid, sameBytes } from './ber.js';
import { Action, isUpCode, type FrameLayout } from './frame-layout.js';

/** Counter values as two 32-bit halves (exact to 2^64 − 1) and gauges as numbers, in the layout's slot order. */
export interface Frame {
  /** Counter i is counters[2i] · 2^32 + counters[2i + 1]. */
  counters: Uint32Array;
  gauges: Float64Array;
}

export function newFrame(layout: FrameLayout): Frame {
  return { counters: new Uint32Array(layout.counters.length * 2), gauges: new Float64Array(layout.gauges.length) };
}

/** The agent answered, but not as the layout says: `oid` is what it sent where `expected` was due. */
export class LayoutMismatchError extends DriverError {
  constructor(
    readonly oid: string,
    readonly expected: string | null,
    reason: string,
  ) {
    super('refused', `${reason}: got ${oid}${expected ? ` where ${expected} was expected` : ''}`);
    this.name = 'LayoutMismatchError';
  }
}

/** The agent's error-status (tooBig, genErr…) in place of varbinds: the caller walks the ordinary way. */
export class BulkStatusError extends DriverError {
  constructor(readonly status: number) {
    super('refused', `the agent answered error-status ${status}`);
    this.name = 'BulkStatusError';
  }
}

/**
 * Reads one GetResponse into `frame`, starting at varbind `from` of the layout; returns how far
 * the layout is covered after it (layout.count once the walk is complete). `community` must be
 * the one asked with (net-snmp checks it the same way).
 */
export function decodeInto(buf: Uint8Array, community: Uint8Array, layout: FrameLayout, from: number, frame: Frame): number {
  const c = new BerCursor(buf);
  if (c.enter(Tag.Sequence, 'message') !== buf.length) throw new BerError('bytes after the message');
  const version = c.int32('version');
  if (version !== 1) throw new BerError(`version ${version}, expected 1 (v2c)`);
  const n = c.header(Tag.OctetString, 'community');
  if (n !== community.length || !sameBytes(buf, c.pos, community, 0, n)) throw new BerError('the community differs from the one asked with');
  c.pos += n;
  if (c.enter(Tag.GetResponse, 'GetResponse PDU') !== buf.length) throw new BerError('bytes after the PDU');
  c.int32('request-id');
  const status = c.int32('error-status');
  c.int32('error-index');
  if (status !== 0) throw new BulkStatusError(status);
  const listEnd = c.enter(Tag.Sequence, 'varbind list');
  if (listEnd !== c.end) throw new BerError(`${c.end - listEnd} bytes after the varbind list`);
  let i = from;
  while (c.pos < listEnd) {
    const vbEnd = c.enter(Tag.Sequence, 'varbind');
    c.end = vbEnd;
    const oidLength = c.header(Tag.Oid, 'OID');
    const oidPos = c.pos;
    c.pos += oidLength;
    if (i >= layout.count) {
      // Past the last row expected: fine if the walk has left the tables, not if a row was added.
      const prefix = layout.lastTable;
      if (oidLength > prefix.length && sameBytes(buf, oidPos, prefix, 0, prefix.length)) {
        throw new LayoutMismatchError(decodeOid(buf, oidPos, oidLength), null, 'a row the layout does not have');
      }
      return i;
    }
    const at = layout.oidAt[i]!;
    const expectedLength = layout.oidAt[i + 1]! - at;
    if (oidLength !== expectedLength || !sameBytes(buf, oidPos, layout.oids, at, oidLength)) {
      throw new LayoutMismatchError(decodeOid(buf, oidPos, oidLength), decodeOid(layout.oids, at, expectedLength), 'the agent answered another OID');
    }
    const tag = c.anyHeader('value');
    const length = c.lastLength;
    if (tag !== layout.tags[i]) {
      throw new LayoutMismatchError(
        decodeOid(buf, oidPos, oidLength),
        null,
        `a value of type 0x${tag.toString(16)} in place of 0x${layout.tags[i]!.toString(16)}`,
      );
    }
    readValue(c, buf, tag, length, layout, i, frame, oidPos, oidLength);
    if (c.pos !== vbEnd) throw new BerError(`varbind ${decodeOid(buf, oidPos, oidLength)}: ${vbEnd - c.pos} bytes left after its value`);
    c.end = listEnd;
    i++;
  }
  return i;
}

function readValue(
  c: BerCursor,
  buf: Uint8Array,
  tag: number,
  length: number,
  layout: FrameLayout,
  i: number,
  frame: Frame,
  oidPos: number,
  oidLength: number,
): void {
  const action = layout.actions[i]!;
  const slot = layout.slots[i]!;
  if (action === Action.identity) {
    if (length !== layout.identityLength[i] || !sameBytes(buf, c.pos, layout.identity, slot, length)) {
      throw new LayoutMismatchError(decodeOid(buf, oidPos, oidLength), null, 'a name or address changed');
    }
    c.pos += length;
    return;
  }
  if (action === Action.ignore) {
    c.pos += length;
    return;
  }
  let value: number;
  if (tag === Tag.Counter64) {
    c.unsigned(length, 64, 'Counter64');
    if (action === Action.counter) {
      frame.counters[slot * 2] = c.hi;
      frame.counters[slot * 2 + 1] = c.lo;
      return;
    }
    value = c.hi * 2 ** 32 + c.lo;
  } else if (tag === Tag.Integer) {
    value = c.signed(length);
  } else {
    c.unsigned(length, 32, 'unsigned 32-bit value');
    value = c.lo;
  }
  if (action === Action.counter) {
    // A 32-bit type under a 64-bit counter (snapshotReadings widens them all alike).
    if (value < 0) throw new LayoutMismatchError(decodeOid(buf, oidPos, oidLength), null, 'a negative counter');
    frame.counters[slot * 2] = 0;
    frame.counters[slot * 2 + 1] = value;
  } else frame.gauges[slot] = action === Action.up ? (isUpCode(value) ? 1 : 0) : value;
}
