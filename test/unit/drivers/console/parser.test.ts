import { describe, expect, it } from 'vitest';
import { MAX_SUBNEGOTIATION, TelnetParser, type TelnetEvent } from '../../../../drivers/console/telnet/parser.js';

const [IAC, SB, SE, NOP, GA, WILL, WONT, DO, DONT] = [255, 250, 240, 241, 249, 251, 252, 253, 254];

/** Events with adjacent data merged (how data is cut into events depends on the chunking) and bytes as arrays. */
function normal(events: TelnetEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    const last = out[out.length - 1] as { kind: string; bytes: number[] } | undefined;
    if (e.kind === 'data' && last?.kind === 'data') last.bytes.push(...e.bytes);
    else if (e.kind === 'data') out.push({ kind: 'data', bytes: [...e.bytes] });
    else if (e.kind === 'subnegotiation') out.push({ ...e, value: [...e.value] });
    else out.push(e);
  }
  return out;
}

function parse(chunks: number[][]): unknown[] {
  const p = new TelnetParser();
  return normal(chunks.flatMap((c) => p.push(Uint8Array.from(c))));
}

/** A stream with every kind of item, IACs in data and in a subnegotiation value. */
const STREAM = [
  0x41,
  IAC,
  IAC,
  0x00,
  0x0d,
  0x0a,
  IAC,
  WILL,
  3,
  IAC,
  DO,
  44,
  IAC,
  WONT,
  1,
  IAC,
  DONT,
  24,
  IAC,
  SB,
  44,
  101,
  0x00,
  0x01,
  0xc2,
  IAC,
  IAC,
  IAC,
  SE,
  IAC,
  IAC,
  IAC,
  NOP,
  0x42,
  IAC,
  GA,
  IAC,
  SB,
  44,
  112,
  3,
  IAC,
  SE,
  0xfe,
  IAC,
  IAC,
  0xff - 1,
];
const EXPECTED = [
  { kind: 'data', bytes: [0x41, 0xff, 0x00, 0x0d, 0x0a] },
  { kind: 'negotiation', verb: WILL, option: 3 },
  { kind: 'negotiation', verb: DO, option: 44 },
  { kind: 'negotiation', verb: WONT, option: 1 },
  { kind: 'negotiation', verb: DONT, option: 24 },
  { kind: 'subnegotiation', option: 44, value: [101, 0x00, 0x01, 0xc2, 0xff] },
  { kind: 'data', bytes: [0xff] },
  { kind: 'command', command: NOP },
  { kind: 'data', bytes: [0x42] },
  { kind: 'command', command: GA },
  { kind: 'subnegotiation', option: 44, value: [112, 3] },
  { kind: 'data', bytes: [0xfe, 0xff, 0xfe] },
];

describe('telnet parser', () => {
  it('splits data, IAC IAC, negotiations, subnegotiations and commands in stream order', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events whatever the chunk boundary: one cut at every offset', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      expect(parse([STREAM.slice(0, cut), STREAM.slice(cut)]), `cut at ${cut}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events with two cuts anywhere, and byte by byte', () => {
    for (let a = 0; a <= STREAM.length; a++) {
      for (let b = a; b <= STREAM.length; b++) {
        expect(parse([STREAM.slice(0, a), STREAM.slice(a, b), STREAM.slice(b)]), `cuts at ${a}, ${b}`).toEqual(EXPECTED);
      }
    }
    expect(parse(STREAM.map((b) => [b]))).toEqual(EXPECTED);
  });

  it('hands data over at the end of each chunk, even when an IAC is still open', () => {
    const p = new TelnetParser();
    expect(normal(p.push(Uint8Array.of(1, 2, IAC)))).toEqual([{ kind: 'data', bytes: [1, 2] }]);
    expect(normal(p.push(Uint8Array.of(IAC, 3)))).toEqual([{ kind: 'data', bytes: [0xff, 3] }]);
    expect(p.push(Uint8Array.of())).toEqual([]);
  });

  it('data events are copies: reusing the chunk afterwards changes nothing', () => {
    const p = new TelnetParser();
    const chunk = Uint8Array.of(1, 2, 3);
    const [e] = p.push(chunk);
    chunk.fill(9);
    expect(e).toEqual({ kind: 'data', bytes: Uint8Array.of(1, 2, 3) });
  });

  it('a subnegotiation cut by another command is reported and dropped, and the command still counts', () => {
    expect(parse([[IAC, SB, 44, 101, 0, IAC, WILL, 3, 0x41]])).toEqual([
      { kind: 'malformed', reason: expect.stringContaining('cut by IAC 251') },
      { kind: 'negotiation', verb: WILL, option: 3 },
      { kind: 'data', bytes: [0x41] },
    ]);
  });

  it('an endless subnegotiation is bounded, reported once at its end, and the stream goes on', () => {
    const long = [IAC, SB, 44, ...new Array(MAX_SUBNEGOTIATION + 10).fill(7), IAC, SE, 0x41];
    expect(parse([long])).toEqual([
      { kind: 'malformed', reason: expect.stringContaining('longer than') },
      { kind: 'data', bytes: [0x41] },
    ]);
  });

  it('a stray SE and an empty subnegotiation are parsed, not taken for data', () => {
    expect(parse([[IAC, SE, IAC, SB, 3, IAC, SE]])).toEqual([
      { kind: 'command', command: SE },
      { kind: 'subnegotiation', option: 3, value: [] },
    ]);
  });

  it('passes all 256 byte values as data, CR NUL and CR LF untouched (BINARY)', () => {
    const all = Array.from({ length: 256 }, (_, i) => i);
    const wire = all.flatMap((b) => (b === IAC ? [IAC, IAC] : [b]));
    expect(parse([wire])).toEqual([{ kind: 'data', bytes: all }]);
  });
});
