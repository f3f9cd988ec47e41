/**
 * The frame decoder against random appliances: random tables (services × backends, names,
 * Counter64 values up to 2^64 − 1 written both as net-snmp's agent writes them, 8 raw bytes, and
 * as X.690 wants, with a leading zero), answered in random GETBULK chunks, read into the frame;
 * a walk that answers another OID is a LayoutMismatchError naming it; a truncated datagram
 * always throws a DriverError; a garbled one throws a DriverError or, where the flipped byte is
 * inside a value, changes that value alone — never another slot's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { encodeOid } from '../../../../drivers/snmp/ber.js';
import { LayoutMismatchError, decodeInto, newFrame, type Frame } from '../../../../drivers/snmp/frame-decoder.js';
import { Action, buildLayout, type FrameLayout, type Rows } from '../../../../drivers/snmp/frame-layout.js';
import type { Varbind } from '../../../../drivers/snmp/session.js';
import { formatOid, FulcrumMib as M } from '../../../../src/protocol/mib/index.js';

const COMMUNITY = Buffer.from('public');
const TWO_64 = 1n << 64n;
const T = { int: 0x02, str: 0x04, c32: 0x41, gauge: 0x42, ticks: 0x43, c64: 0x46 };

// ---- a minimal BER writer, the test's own (the decoder must not be checked against itself)

function tlv(tag: number, content: number[]): number[] {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...content];
}
function intBytes(v: number): number[] {
  const out: number[] = [];
  let x = v;
  do {
    out.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x !== 0 && x !== -1);
  if (v >= 0 && out[0]! & 0x80) out.unshift(0);
  if (v < 0 && !(out[0]! & 0x80)) out.unshift(0xff);
  return out;
}
function uBytes(v: bigint, raw8: boolean): number[] {
  if (raw8) return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * (7 - i))) & 0xffn));
  const out: number[] = [];
  for (let x = v; ; x >>= 8n) {
    out.unshift(Number(x & 0xffn));
    if (x < 256n) break;
  }
  if (out[0]! & 0x80) out.unshift(0);
  return out;
}

interface Encoded {
  bytes: Uint8Array;
  /** Per varbind in the datagram: where its value's content bytes are. */
  values: Array<[number, number]>;
}

/** A varbind's value as [tag, content]. */
function valueOf(vb: Varbind, raw8: boolean): [number, number[]] {
  const v = vb.value;
  if (vb.type === T.c64) return [T.c64, uBytes(v as bigint, raw8)];
  if (vb.type === T.str) return [T.str, [...(v as Uint8Array)]];
  if (vb.type === T.int) return [T.int, intBytes(v as number)];
  return [vb.type, uBytes(BigInt(v as number), false)];
}

function response(varbinds: readonly Varbind[], raw8: boolean, community = COMMUNITY): Encoded {
  const list: number[] = [];
  const spans: Array<[number, number]> = [];
  for (const vb of varbinds) {
    const oid = tlv(0x06, [...encodeOid(vb.oid)]);
    const [tag, content] = valueOf(vb, raw8);
    const value = tlv(tag, content);
    const item = tlv(0x30, [...oid, ...value]);
    const end = list.length + item.length;
    spans.push([end - content.length, end]);
    list.push(...item);
  }
  const pduBody = [...tlv(T.int, intBytes(4242)), ...tlv(T.int, [0]), ...tlv(T.int, [0])];
  const pdu = tlv(0xa2, [...pduBody, ...tlv(0x30, list)]);
  const message = tlv(0x30, [...tlv(T.int, [1]), ...tlv(T.str, [...community]), ...pdu]);
  // The varbind list's content is the message's last bytes.
  const listAt = message.length - list.length;
  return { bytes: Uint8Array.from(message), values: spans.map(([a, b]) => [a + listAt, b + listAt]) };
}

// ---- random appliances: their walk, as net-snmp hands it to the driver

const c64 = fc.oneof(
  fc.bigInt(0n, TWO_64 - 1n),
  fc.constantFrom(0n, 1n, 127n, 128n, 255n, 256n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n - 1n, 2n ** 63n, TWO_64 - 1n),
);
const name = fc.string({ minLength: 0, maxLength: 12 });
const appliance = fc.array(
  fc.record({
    name,
    active: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    counters: fc.array(c64, { minLength: 5, maxLength: 5 }),
    backends: fc.array(
      fc.record({
        address: name,
        state: fc.integer({ min: 1, max: 4 }),
        weight: fc.integer({ min: 0, max: 65535 }),
        counters: fc.array(c64, { minLength: 4, maxLength: 4 }),
        active: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        lastChange: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      }),
      { maxLength: 4 },
    ),
  }),
  { minLength: 1, maxLength: 3 },
);
type Appliance = typeof appliance extends fc.Arbitrary<infer A> ? A : never;

const S = M.ServiceColumn;
const B = M.BackendColumn;

/** The walk of both tables in the agent's order (column by column), and the rows as the driver groups them. */
function walkOf(a: Appliance): { walked: Varbind[]; services: Rows; backends: Rows } {
  const se = formatOid(M.fulcrumServiceEntry);
  const be = formatOid(M.fulcrumBackendEntry);
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const svcCols: Array<[number, number, (s: Appliance[number]) => Varbind['value']]> = [
    [S.name, T.str, (s) => utf8(s.name)],
    [S.listen, T.str, () => utf8('192.0.2.1:80')],
    [S.protocol, T.int, () => 1],
    [S.connsTotal, T.c64, (s) => s.counters[0]!],
    [S.connsActive, T.gauge, (s) => s.active],
    [S.bytesIn, T.c64, (s) => s.counters[1]!],
    [S.bytesOut, T.c64, (s) => s.counters[2]!],
    [S.failures, T.c64, (s) => s.counters[3]!],
    [S.fallbackConns, T.c64, (s) => s.counters[4]!],
    [S.backendCount, T.gauge, (s) => s.backends.length],
  ];
  type Bk = Appliance[number]['backends'][number];
  const beCols: Array<[number, number, (b: Bk) => Varbind['value']]> = [
    [B.address, T.str, (b) => utf8(b.address)],
    [B.state, T.int, (b) => b.state],
    [B.weight, T.gauge, (b) => b.weight],
    [B.backup, T.int, () => 2],
    [B.connsTotal, T.c64, (b) => b.counters[0]!],
    [B.connsActive, T.gauge, (b) => b.active],
    [B.bytesIn, T.c64, (b) => b.counters[1]!],
    [B.bytesOut, T.c64, (b) => b.counters[2]!],
    [B.connectFailures, T.c64, (b) => b.counters[3]!],
    [B.lastChange, T.ticks, (b) => b.lastChange],
  ];
  const walked: Varbind[] = [];
  const services = new Map<string, Map<number, Varbind>>();
  const backends = new Map<string, Map<number, Varbind>>();
  const put = (rows: Map<string, Map<number, Varbind>>, index: string, column: number, vb: Varbind) => {
    if (!rows.has(index)) rows.set(index, new Map());
    rows.get(index)!.set(column, vb);
    walked.push(vb);
  };
  for (const [column, type, value] of svcCols)
    a.forEach((s, i) => put(services, `${i + 1}`, column, { oid: `${se}.${column}.${i + 1}`, type, value: value(s) }));
  for (const [column, type, value] of beCols)
    a.forEach((s, i) =>
      s.backends.forEach((b, j) => put(backends, `${i + 1}.${j + 1}`, column, { oid: `${be}.${column}.${i + 1}.${j + 1}`, type, value: value(b) })),
    );
  return { walked, services, backends };
}

/** What each slot must hold, from the walk's own values. */
function expectedFrame(layout: FrameLayout, walked: readonly Varbind[]): Frame {
  const f = newFrame(layout);
  walked.forEach((vb, i) => {
    const slot = layout.slots[i]!;
    const action = layout.actions[i];
    if (action === Action.counter) {
      const v = BigInt(vb.value as bigint | number);
      f.counters[2 * slot] = Number(v >> 32n);
      f.counters[2 * slot + 1] = Number(v & 0xffffffffn);
    } else if (action === Action.gauge) f.gauges[slot] = vb.value as number;
    else if (action === Action.up) f.gauges[slot] = vb.value === M.BackendStateCode.up ? 1 : 0;
  });
  return f;
}

/** Reads `walked` answered in datagrams of the given sizes (the last one runs past the tables). */
function readAll(layout: FrameLayout, walked: readonly Varbind[], sizes: readonly number[], raw8: boolean): Frame {
  const frame = newFrame(layout);
  const past: Varbind = { oid: `${formatOid(M.fulcrumConfig)}.1.0`, type: T.int, value: 0 };
  let done = 0;
  let k = 0;
  while (done < layout.count) {
    const size = Math.max(1, sizes[k++ % sizes.length]!);
    const chunk = walked.slice(done, done + size);
    if (chunk.length < size) chunk.push(past);
    done = decodeInto(response(chunk, raw8).bytes, COMMUNITY, layout, done, frame);
  }
  return frame;
}

describe('frame decoder', () => {
  it('reads every value of any layout, in any GETBULK chunks, exactly (Counter64 to 2^64 − 1, both encodings)', () => {
    fc.assert(
      fc.property(appliance, fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 5 }), fc.boolean(), (a, sizes, raw8) => {
        const { walked, services, backends } = walkOf(a);
        const layout = buildLayout(walked, services, backends, []);
        fc.pre(layout !== null); // two services or backends of one name: no layout, the snapshot path
        const got = readAll(layout!, walked, sizes, raw8);
        const want = expectedFrame(layout!, walked);
        expect([...got.counters]).toEqual([...want.counters]);
        expect([...got.gauges]).toEqual([...want.gauges]);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses another OID, a changed name and a row the layout lacks, naming the OID', () => {
    fc.assert(
      fc.property(appliance, fc.nat(), fc.constantFrom('oid', 'name', 'row'), (a, pick, how) => {
        const { walked, services, backends } = walkOf(a);
        const layout = buildLayout(walked, services, backends, []);
        fc.pre(layout !== null);
        const answer = walked.map((vb) => ({ ...vb }));
        let bad: string;
        if (how === 'name') {
          const names = answer.filter((vb) => vb.type === T.str);
          const vb = names[pick % names.length]!;
          vb.value = Uint8Array.from([...(vb.value as Uint8Array), 0x21]);
          bad = vb.oid;
        } else if (how === 'oid') {
          const vb = answer[pick % answer.length]!;
          vb.oid = `${vb.oid}.1`;
          bad = vb.oid;
        } else {
          // One more backend row: it shows first in the address column.
          bad = `${formatOid(M.fulcrumBackendEntry)}.${B.address}.9.9`;
          const at = answer.findIndex((vb) => vb.oid.startsWith(`${formatOid(M.fulcrumBackendEntry)}.${B.state}.`));
          answer.splice(at === -1 ? answer.length : at, 0, { oid: bad, type: T.str, value: new Uint8Array([0x61]) });
        }
        const frame = newFrame(layout!);
        const read = () =>
          decodeInto(response([...answer, { oid: `${formatOid(M.fulcrumConfig)}.1.0`, type: T.int, value: 0 }], false).bytes, COMMUNITY, layout!, 0, frame);
        expect(read).toThrow(LayoutMismatchError);
        expect(read).toThrow(bad);
      }),
      { numRuns: 200 },
    );
  });

  it('a truncated datagram always throws a DriverError; a garbled one never puts a wrong number in another slot', () => {
    fc.assert(
      fc.property(appliance, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (a, pick, xor, truncate) => {
        const { walked, services, backends } = walkOf(a);
        const layout = buildLayout(walked, services, backends, []);
        fc.pre(layout !== null);
        const { bytes, values } = response(walked, false);
        const at = pick % bytes.length;
        const frame = newFrame(layout!);
        if (truncate) {
          expect(() => decodeInto(bytes.slice(0, at), COMMUNITY, layout!, 0, frame)).toThrow(DriverError);
          return;
        }
        const garbled = bytes.slice();
        garbled[at]! ^= xor;
        let done: number;
        try {
          done = decodeInto(garbled, COMMUNITY, layout!, 0, frame);
        } catch (err) {
          expect(err).toBeInstanceOf(DriverError);
          return;
        }
        // Accepted: only a value's own bytes (or the request id) can have changed unnoticed.
        const hit = values.findIndex(([from, to]) => at >= from && at < to);
        const want = expectedFrame(layout!, walked);
        expect(done).toBe(layout!.count);
        for (let i = 0; i < layout!.count; i++) {
          if (i === hit) continue;
          const slot = layout!.slots[i]!;
          const action = layout!.actions[i];
          if (action === Action.counter)
            expect([frame.counters[2 * slot], frame.counters[2 * slot + 1]]).toEqual([want.counters[2 * slot], want.counters[2 * slot + 1]]);
          else if (action === Action.gauge || action === Action.up) expect(frame.gauges[slot]).toBe(want.gauges[slot]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a community other than the one asked with is refused', () => {
    const { walked, services, backends } = walkOf([{ name: 'web', active: 1, counters: [1n, 2n, 3n, 4n, 5n], backends: [] }]);
    const layout = buildLayout(walked, services, backends, [])!;
    expect(() => decodeInto(response(walked, false, Buffer.from('privat')).bytes, COMMUNITY, layout, 0, newFrame(layout))).toThrow(/community/);
  });
});
