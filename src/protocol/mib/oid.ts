/**
 * Object identifiers as arrays of arcs, and the few operations SNMP needs on them. OIDs are
 * compared numerically arc by arc (1.3.6.1.10 comes after 1.3.6.1.9), never as text: that
 * order is what GETNEXT and GETBULK walk in.
 */

export type Oid = readonly number[];

/** Joins OIDs and arcs: `oid(FULCRUM, 1, 2)` is FULCRUM.1.2. */
export function oid(...parts: (number | Oid)[]): Oid {
  const arcs: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') arcs.push(p);
    else arcs.push(...p);
  }
  for (const a of arcs) {
    if (!Number.isInteger(a) || a < 0 || a > 0xffff_ffff) throw new RangeError(`OID arc ${a} is not 0..4294967295`);
  }
  return Object.freeze(arcs);
}

/** `1.3.6.1` (a leading dot is accepted, as Net-SNMP prints it with -On). Throws on anything else. */
export function parseOid(text: string): Oid {
  const body = text.startsWith('.') ? text.slice(1) : text;
  if (!/^\d+(?:\.\d+)*$/.test(body)) throw new TypeError(`not an OID: "${text}"`);
  return oid(...body.split('.').map(Number));
}

export function formatOid(o: Oid): string {
  return o.join('.');
}

/** Negative, 0 or positive as `a` sorts before, with or after `b` in walk order. */
export function compareOids(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  // A prefix sorts before everything under it.
  return a.length - b.length;
}

/** Whether `o` is `prefix` or lies under it. */
export function startsWith(o: Oid, prefix: Oid): boolean {
  if (o.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (o[i] !== prefix[i]) return false;
  return true;
}
