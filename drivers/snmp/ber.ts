/**
 * The few BER (X.690) forms an SNMPv2c GetResponse is made of, read in place from the datagram:
 * definite lengths only, every length checked against what encloses it, integers checked to fit
 * what their SMI type allows. Nothing here allocates per value; a malformed input throws
 * BerError, never yields a number.
 *
 * Why hand-written: at 1,000 appliances a poller decodes 30,000 varbinds a second, and
 * net-snmp's decoder makes an object, an OID string and (for Counter64) a Buffer of each —
 * the agent's old generation grew on that garbage (bench/missed-goals.md, "Agent memory").
 */
import { DriverError } from '../driver.js';

/** A datagram that is not well-formed BER, or not the SNMP message the poller asked for. */
export class BerError extends DriverError {
  constructor(message: string) {
    super('refused', `malformed SNMP answer: ${message}`);
    this.name = 'BerError';
  }
}

export const Tag = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  GetResponse: 0xa2,
} as const;

/** A read position in one datagram; `end` is where the innermost element read into ends. */
export class BerCursor {
  pos = 0;
  end: number;

  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  /** Reads a tag and a definite length; leaves `pos` at the content, returns the content's length. */
  header(tag: number, what: string): number {
    const { buf } = this;
    if (this.pos + 2 > this.end) throw new BerError(`${what}: truncated at byte ${this.pos}`);
    const got = buf[this.pos]!;
    if (got !== tag) throw new BerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${got.toString(16)} at byte ${this.pos}`);
    return this.length(what);
  }

  /** Like `header`, but returns where the element's content ends. */
  enter(tag: number, what: string): number {
    const n = this.header(tag, what);
    return this.pos + n;
  }

  /** Content length of the element `anyHeader` read last. */
  lastLength = 0;

  /** Reads whatever tag is next with its length; returns the tag (the length is in `lastLength`). */
  anyHeader(what: string): number {
    if (this.pos + 2 > this.end) throw new BerError(`${what}: truncated at byte ${this.pos}`);
    const tag = this.buf[this.pos]!;
    this.lastLength = this.length(what);
    return tag;
  }

  /** A signed INTEGER that fits 32 bits. */
  int32(what: string): number {
    const n = this.header(Tag.Integer, what);
    if (n < 1 || n > 4) throw new BerError(`${what}: an INTEGER of ${n} bytes does not fit 32 bits`);
    return this.signed(n);
  }

  /** The content of length `n` at `pos` as a signed integer of at most 4 bytes; advances past it. */
  signed(n: number): number {
    if (n < 1 || n > 4) throw new BerError(`INTEGER of ${n} bytes at byte ${this.pos}: at most 4 expected`);
    const { buf } = this;
    let v = buf[this.pos]! & 0x80 ? -1 : 0;
    for (let i = 0; i < n; i++) v = v * 256 + buf[this.pos + i]!;
    this.pos += n;
    return v;
  }

  /**
   * An unsigned value of `n` content bytes of at most `bits` (32 or 64) bits, split into its high
   * and low 32-bit halves in `hi` and `lo`; advances past it. X.690 wants a leading zero before
   * a high bit, but net-snmp's agent writes every Counter64 as its 8 raw bytes, and many agents
   * write a large Counter32 in 4: a full-width encoding is read as unsigned (net-snmp's own
   * reading). A shorter one with the high bit set is a negative number, not a counter, and a
   * wider one must start with a zero: both throw.
   */
  unsigned(n: number, bits: 32 | 64, what: string): void {
    const { buf } = this;
    const full = bits / 8;
    if (n < 1 || n > full + 1) throw new BerError(`${what}: ${n} content bytes, 1..${full + 1} expected`);
    if (n === full + 1 && buf[this.pos] !== 0) throw new BerError(`${what}: does not fit ${bits} bits`);
    if (n < full && buf[this.pos]! & 0x80) throw new BerError(`${what}: negative`);
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < n; i++) {
      // Within 64 bits by the checks above: hi stays below 2^32.
      hi = hi * 256 + (lo >>> 24);
      lo = ((lo & 0xffffff) * 256 + buf[this.pos + i]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    this.pos += n;
  }

  /** The halves `unsigned` read last. */
  hi = 0;
  lo = 0;

  private length(what: string): number {
    const { buf } = this;
    let at = this.pos + 1;
    const first = buf[at++]!;
    let n: number;
    if (first < 0x80) n = first;
    else {
      const bytes = first & 0x7f;
      if (bytes === 0) throw new BerError(`${what}: indefinite length`);
      if (bytes > 3) throw new BerError(`${what}: a length of ${bytes} bytes`);
      if (at + bytes > this.end) throw new BerError(`${what}: truncated length at byte ${this.pos}`);
      n = 0;
      for (let i = 0; i < bytes; i++) n = n * 256 + buf[at++]!;
    }
    if (at + n > this.end) throw new BerError(`${what}: ${n} bytes announced at byte ${this.pos}, ${this.end - at} left`);
    this.pos = at;
    return n;
  }
}

/** Whether the `n` bytes at `buf[at]` equal `expected[from .. from + n)`. */
export function sameBytes(buf: Uint8Array, at: number, expected: Uint8Array, from: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[at + i] !== expected[from + i]) return false;
  return true;
}

/** The content bytes of an OID (X.690 8.19), for comparing OIDs as they travel. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0 || a > 0xffffffff) || arcs[0]! > 2) throw new RangeError(`not an OID: ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const bytes = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

/** OID content bytes as dotted text (for messages and the next request, not per varbind). */
export function decodeOid(buf: Uint8Array, at: number, n: number): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[at + i]!;
    v = v * 128 + (b & 0x7f);
    if (b & 0x80) {
      if (i === n - 1) throw new BerError('OID ends inside an arc');
      continue;
    }
    if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
    else arcs.push(v);
    v = 0;
  }
  if (arcs.length === 0) throw new BerError('empty OID');
  return arcs.join('.');
}
