import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COUNTERS_FORMAT,
  CountersError,
  decodeCounters,
  encodeCounters,
  type BackendCounters,
  type CountersSnapshot,
  type ServiceCounters,
} from '../../../src/protocol/counters.js';
import { endpointText } from './rules/arbitraries.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function decodeError(bytes: Uint8Array): CountersError {
  try {
    decodeCounters(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CountersError);
    return error as CountersError;
  }
  throw new Error(`expected a CountersError for ${hex(bytes)}`);
}

function backend(patch: Partial<BackendCounters> = {}): BackendCounters {
  return {
    address: '10.0.0.2:8080',
    state: 'up',
    weight: 1,
    backup: false,
    connsTotal: 0n,
    connsActive: 0,
    bytesIn: 0n,
    bytesOut: 0n,
    connectFailures: 0n,
    lastChange: 0,
    ...patch,
  };
}

function service(patch: Partial<ServiceCounters> = {}): ServiceCounters {
  return {
    name: 'web',
    listen: '10.0.0.1:80',
    protocol: 'tcp',
    connsTotal: 0n,
    connsActive: 0,
    bytesIn: 0n,
    bytesOut: 0n,
    failures: 0n,
    fallbackConns: 0n,
    backends: [backend()],
    ...patch,
  };
}

/** The documented layout, written out by hand. */
const MINIMAL_HEX = `
  01 01
  03 776562  04 0a000001 0050  00  00 00 00 00 00 00
  01  04 0a000002 1f90  00 0001 00  00 00 00 00 00 00`;

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const smallOrHuge = fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), u64);
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

const backendArb: fc.Arbitrary<BackendCounters> = fc.record({
  address: endpointText,
  state: fc.constantFrom('up' as const, 'down' as const, 'drain' as const, 'disabled' as const),
  weight: fc.integer({ min: 0, max: 0xffff }),
  backup: fc.boolean(),
  connsTotal: smallOrHuge,
  connsActive: u32,
  bytesIn: smallOrHuge,
  bytesOut: smallOrHuge,
  connectFailures: smallOrHuge,
  lastChange: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

const snapshotArb: fc.Arbitrary<CountersSnapshot> = fc.record({
  services: fc.array(
    fc.record({
      name: fc.string({ maxLength: 63 }),
      listen: endpointText,
      protocol: fc.constantFrom('tcp' as const, 'udp' as const),
      connsTotal: smallOrHuge,
      connsActive: u32,
      bytesIn: smallOrHuge,
      bytesOut: smallOrHuge,
      failures: smallOrHuge,
      fallbackConns: smallOrHuge,
      backends: fc.array(backendArb, { maxLength: 5 }),
    }),
    { maxLength: 5 },
  ),
});

describe('counters encoding', () => {
  it('encodes the documented layout', () => {
    expect(COUNTERS_FORMAT).toBe(1);
    const snapshot: CountersSnapshot = { services: [service()] };
    expect(hex(encodeCounters(snapshot))).toBe(hex(fromHex(MINIMAL_HEX)));
    expect(decodeCounters(fromHex(MINIMAL_HEX))).toEqual(snapshot);
  });

  it('round-trips arbitrary snapshots, u64 counters up to 2^64 - 1, IPv6 addresses included', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const bytes = encodeCounters(snapshot);
        expect(decodeCounters(bytes)).toEqual(snapshot);
      }),
      { numRuns: 300 },
    );
    const max = (1n << 64n) - 1n;
    const extreme: CountersSnapshot = {
      services: [
        service({
          listen: '[2001:db8::1]:443',
          protocol: 'udp',
          connsTotal: max,
          bytesIn: max,
          connsActive: 0xffff_ffff,
          backends: [
            backend({ address: '[::ffff:10.0.0.9]:1', state: 'disabled', backup: true, weight: 65_535, bytesOut: max, lastChange: Number.MAX_SAFE_INTEGER }),
          ],
        }),
      ],
    };
    expect(decodeCounters(encodeCounters(extreme))).toEqual(extreme);
  });

  it('is compact: a busy backend takes about 32 bytes', () => {
    const busy = backend({
      connsTotal: 123_456n,
      connsActive: 42,
      bytesIn: 9_876_543_210n,
      bytesOut: 98_765_432_100n,
      connectFailures: 3n,
      lastChange: 1_700_000_000_000,
    });
    const one = encodeCounters({ services: [service({ backends: [busy] })] }).length;
    const two = encodeCounters({ services: [service({ backends: [busy, { ...busy, address: '10.0.0.3:8080' }] })] }).length;
    expect(two - one).toBeLessThanOrEqual(34);
  });

  it('drops the fraction of lastChange', () => {
    const decoded = decodeCounters(encodeCounters({ services: [service({ backends: [backend({ lastChange: 1_700_000_000_000.5 })] })] }));
    expect(decoded.services[0]!.backends[0]!.lastChange).toBe(1_700_000_000_000);
  });

  it('refuses every truncation, trailing bytes, unknown codes and padded varints, with the offset', () => {
    const bytes = fromHex(MINIMAL_HEX);
    for (let keep = 0; keep < bytes.length; keep++) expect(decodeError(bytes.subarray(0, keep)).message).toMatch(/truncated/);
    expect(decodeError(Uint8Array.from([...bytes, 0])).message).toMatch(/trailing/);
    const at = (offset: number, value: number) => {
      const copy = bytes.slice();
      copy[offset] = value;
      return decodeError(copy);
    };
    expect(at(0, 2).message).toMatch(/unsupported counters format 2/);
    expect(at(6, 5).offset).toBe(6); // listen family 5
    expect(at(13, 2).message).toMatch(/unknown service protocol code 2/);
    expect(at(28, 4).message).toMatch(/unknown backend state code 4/);
    expect(at(31, 2).message).toMatch(/backend backup must be 0 or 1/);
    // connsTotal 0 spelled as 80 00 (padded): refused, so each snapshot has one encoding.
    const padded = Uint8Array.from([...bytes.subarray(0, 14), 0x80, ...bytes.subarray(14)]);
    expect(decodeError(padded).message).toMatch(/not minimally encoded/);
    // A u64 counter of 2^64 (ten bytes, the last one 0x02).
    const tooBig = Uint8Array.from([...bytes.subarray(0, 14), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, ...bytes.subarray(15)]);
    expect(decodeError(tooBig).message).toMatch(/beyond 2\^64/);
    // connsActive of 2^32.
    const active = Uint8Array.from([...bytes.subarray(0, 15), 0x80, 0x80, 0x80, 0x80, 0x10, ...bytes.subarray(16)]);
    expect(decodeError(active).message).toMatch(/does not fit 32 bits/);
    // A port of 0.
    expect(decodeError(Uint8Array.from([...bytes.subarray(0, 11), 0, 0, ...bytes.subarray(13)])).message).toMatch(/port 0/);
  });

  it('throws only CountersError on arbitrary bytes, and whatever decodes re-encodes identically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const input = Uint8Array.from([1, ...bytes]);
        try {
          expect(hex(encodeCounters(decodeCounters(input)))).toBe(hex(input));
        } catch (error) {
          expect(error).toBeInstanceOf(CountersError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses to encode what it cannot carry', () => {
    expect(() => encodeCounters({ services: [service({ listen: '10.0.0.01:80' })] })).toThrow(TypeError);
    expect(() => encodeCounters({ services: [service({ listen: '[2001:DB8::1]:80' })] })).toThrow(/canonical/);
    expect(() => encodeCounters({ services: [service({ connsTotal: -1n })] })).toThrow(RangeError);
    expect(() => encodeCounters({ services: [service({ connsTotal: 1n << 64n })] })).toThrow(RangeError);
    expect(() => encodeCounters({ services: [service({ connsActive: -1 })] })).toThrow(RangeError);
    expect(() => encodeCounters({ services: [service({ backends: [backend({ weight: 70_000 })] })] })).toThrow(RangeError);
    expect(() => encodeCounters({ services: [service({ backends: [backend({ state: 'sleeping' as 'up' })] })] })).toThrow(RangeError);
  });
});
