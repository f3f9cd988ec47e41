import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TelnetParser, type TelnetEvent } from '../../../../drivers/console/telnet/parser.js';
import { concatFrames, escapeData, negotiationFrame, subnegotiationFrame } from '../../../../drivers/console/telnet/writer.js';
import { DO, DONT, WILL, WONT, type Verb } from '../../../../drivers/console/telnet/constants.js';

const ALL = Array.from({ length: 256 }, (_, i) => i);
/** Bytes with 0xFF (IAC) and the command bytes after it made frequent, where escaping bugs live. */
const byte = fc.oneof(fc.constant(0xff), fc.integer({ min: 0xf0, max: 0xfe }), fc.integer({ min: 0, max: 0xff }));
const bytes = (maxLength: number) => fc.array(byte, { maxLength }).map((a) => Uint8Array.from(a));
/** Every byte value at least once, in a random order, plus more of them. */
const everyValue = fc
  .tuple(fc.shuffledSubarray(ALL, { minLength: 256, maxLength: 256 }), fc.array(byte, { maxLength: 300 }))
  .map(([perm, more]) => Uint8Array.from([...perm, ...more]));

/** Splits `wire` at the given cut points (any of them 0 or the end, repeated: empty chunks too). */
function chop(wire: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (wire.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(wire.subarray(from, p));
    from = p;
  }
  out.push(wire.subarray(from));
  return out;
}

function parseAll(chunks: Uint8Array[]): TelnetEvent[] {
  const parser = new TelnetParser();
  return chunks.flatMap((c) => parser.push(c));
}

const dataOf = (events: TelnetEvent[]) => Uint8Array.from(events.flatMap((e) => (e.kind === 'data' ? [...e.bytes] : [])));

type Item =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'negotiation'; verb: Verb; option: number }
  | { kind: 'subnegotiation'; option: number; value: Uint8Array }
  | { kind: 'command'; command: number };

const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 4, arbitrary: bytes(40).map((b) => ({ kind: 'data' as const, bytes: b })) },
  fc.record({ kind: fc.constant('negotiation' as const), verb: fc.constantFrom<Verb>(WILL, WONT, DO, DONT), option: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('subnegotiation' as const), option: fc.integer({ min: 0, max: 255 }), value: bytes(12) }),
  // NOP, DM, BRK, IP, AO, AYT, EC, EL, GA: every two-byte command.
  fc.record({ kind: fc.constant('command' as const), command: fc.integer({ min: 241, max: 249 }) }),
);

function wireOf(items: Item[]): Uint8Array {
  return concatFrames(
    items.map((i) => {
      if (i.kind === 'data') return escapeData(i.bytes);
      if (i.kind === 'negotiation') return negotiationFrame(i.verb, i.option);
      if (i.kind === 'subnegotiation') return subnegotiationFrame(i.option, i.value);
      return Uint8Array.of(0xff, i.command);
    }),
  );
}

/** Items or events as comparable values: adjacent data merged, empty data dropped. */
function normal(list: readonly (Item | TelnetEvent)[]): unknown[] {
  const out: unknown[] = [];
  for (const e of list) {
    if (e.kind === 'data') {
      if (e.bytes.length === 0) continue;
      const last = out[out.length - 1] as { kind: string; bytes: number[] } | undefined;
      if (last?.kind === 'data') last.bytes.push(...e.bytes);
      else out.push({ kind: 'data', bytes: [...e.bytes] });
    } else if (e.kind === 'subnegotiation') out.push({ kind: e.kind, option: e.option, value: [...e.value] });
    else out.push(e);
  }
  return out;
}

describe('telnet codec properties', () => {
  it('client to server: every byte value, in writes of any size, escaped then parsed in any chunking, arrives unchanged', () => {
    fc.assert(
      fc.property(everyValue, fc.array(fc.nat(), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (data, writeCuts, netCuts) => {
        // The link escapes each write on its own; the network then cuts the stream elsewhere.
        const wire = concatFrames(chop(data, writeCuts).map(escapeData));
        const events = parseAll(chop(wire, netCuts));
        expect(events.every((e) => e.kind === 'data')).toBe(true);
        expect(Buffer.from(dataOf(events)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('server to client: data interleaved with negotiations, subnegotiations and commands comes out as sent, in order, in any chunking', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), everyValue, fc.array(fc.nat(), { maxLength: 40 }), (items, data, cuts) => {
        const all: Item[] = [...items.slice(0, items.length >> 1), { kind: 'data', bytes: data }, ...items.slice(items.length >> 1)];
        const events = parseAll(chop(wireOf(all), cuts));
        expect(normal(events)).toEqual(normal(all));
      }),
      { numRuns: 400 },
    );
  });

  it('a subnegotiation value with any bytes, 0xFF and SE included, survives escaping and every single cut', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), bytes(30), (option, value) => {
        const wire = subnegotiationFrame(option, value);
        for (let cut = 0; cut <= wire.length; cut++) {
          expect(normal(parseAll([wire.subarray(0, cut), wire.subarray(cut)]))).toEqual([{ kind: 'subnegotiation', option, value: [...value] }]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
