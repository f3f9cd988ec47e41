import { describe, expect, it } from 'vitest';
import { CodecError, decodeRules, encodeRules, type RuleTable, type Service } from '../../../../src/protocol/rules/index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function service(patch: Partial<Service> = {}): Service {
  return {
    name: 'a',
    listen: '10.0.0.1:80',
    protocol: 'tcp',
    algorithm: 'round-robin',
    hashKey: 'source-ip',
    maglevTableSize: 65_537,
    persistence: null,
    health: null,
    fallback: null,
    idleTimeoutMs: 300_000,
    backends: [{ address: '10.0.0.2:8080', weight: 1, maxConnections: 0, backup: false, state: 'enabled' }],
    ...patch,
  };
}

/** The documented layout, written out by hand: the format is a contract, not whatever the encoder does. */
const MINIMAL_HEX = `
  4652554c 01 0001
  01 61  04 0a000001 0050  00  00  00  000493e0
  0001  04 0a000002 1f90  0001 00000000 00 00`;

function decodeError(bytes: Uint8Array): CodecError {
  try {
    decodeRules(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).name).toBe('CodecError');
    return error as CodecError;
  }
  throw new Error('expected a CodecError');
}

describe('encodeRules / decodeRules', () => {
  it('encodes a minimal table exactly as documented', () => {
    const table: RuleTable = { services: [service()] };
    expect(hex(encodeRules(table))).toBe(hex(fromHex(MINIMAL_HEX)));
    expect(decodeRules(fromHex(MINIMAL_HEX))).toStrictEqual(table);
  });

  it('encodes the optional parts in the documented order', () => {
    const table: RuleTable = {
      services: [
        service({
          name: 'm',
          listen: '[2001:db8::1]:443',
          protocol: 'udp',
          algorithm: 'maglev',
          hashKey: '5-tuple',
          maglevTableSize: 251,
          persistence: { type: 'source-ip', timeoutMs: 1_000 },
          health: { type: 'http', intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '/h', expectStatus: [200, 299] },
          fallback: '10.0.0.9:80',
          idleTimeoutMs: 30_000,
          backends: [{ address: '10.0.0.2:53', weight: 65_535, maxConnections: 4_294_967_295, backup: true, state: 'disabled' }],
        }),
      ],
    };
    const expected = fromHex(`
      4652554c 01 0001
      01 6d  06 20010db8000000000000000000000001 01bb  01  06  01 000000fb
      07  00 000003e8  01 000007d0 000003e8 02 03 0002 2f68 00c8 012b  04 0a000009 0050
      00007530  0001  04 0a000002 0035  ffff ffffffff 02 01`);
    expect(hex(encodeRules(table))).toBe(hex(expected));
    expect(decodeRules(expected)).toStrictEqual(table);
  });

  it('refuses to encode a table that is not canonical', () => {
    const unsorted: RuleTable = { services: [service({ name: 'b' }), service({ listen: '10.0.0.1:81' })] };
    expect(() => encodeRules(unsorted)).toThrow(/services\[1\]\.name: "a" is not after "b"/);
    expect(() => encodeRules({ services: [service({ listen: '[2001:DB8::1]:80' })] })).toThrow(/not in canonical form/);
    expect(() => encodeRules({ services: [service({ hashKey: '5-tuple' })] })).toThrow(/hashKey: must be the default/);
    expect(() => encodeRules({ services: [service({ backends: [] })] })).toThrow(/backends: must hold 1\.\.65535 backends/);
  });

  it.each([
    ['empty input', '', 0, /truncated: magic/],
    ['bad magic', '4652554d 01 0000', 3, /bad magic/],
    ['future version', '4652554c 02 0000', 4, /unsupported rule table format version 2/],
    ['truncated count', '4652554c 01 00', 5, /truncated: service count/],
    ['trailing byte', '4652554c 01 0000 00', 7, /1 trailing byte/],
    ['empty name', '4652554c 01 0001 00 040a0000010050 00 00 00 000493e0 0001 040a0000021f90 0001 00000000 00 00', 7, /name: must be 1\.\.63/],
    ['unknown family', '4652554c 01 0001 01 61 05', 9, /unknown address family 5/],
    ['port 0', '4652554c 01 0001 01 61 040a0000010000', 14, /port 0/],
    ['unknown protocol', '4652554c 01 0001 01 61 040a0000010050 02', 16, /unknown protocol code 2/],
    ['unknown algorithm', '4652554c 01 0001 01 61 040a0000010050 00 07', 17, /unknown algorithm code 7/],
    ['reserved flag bit', '4652554c 01 0001 01 61 040a0000010050 00 00 08', 18, /reserved presence flag bits/],
    [
      'non-prime maglev size',
      '4652554c 01 0001 01 61 040a0000010050 00 06 00 000000fc 00 000493e0 0001 040a0000021f90 0001 00000000 00 00',
      19,
      /maglevTableSize: 252 is not a prime/,
    ],
    ['no backends', '4652554c 01 0001 01 61 040a0000010050 00 00 00 000493e0 0000', 23, /backends: must hold 1/],
    ['backup flag 2', '4652554c 01 0001 01 61 040a0000010050 00 00 00 000493e0 0001 040a0000021f90 0001 00000000 00 02', 39, /backup flag must be 0 or 1/],
    ['unknown state', '4652554c 01 0001 01 61 040a0000010050 00 00 00 000493e0 0001 040a0000021f90 0001 00000000 03 00', 38, /unknown backend state code 3/],
    [
      'weight over a huge count',
      '4652554c 01 ffff 01 61 040a0000010050 00 00 00 000493e0 ffff 040a0000021f90 0001 00000000 00 00',
      40,
      /truncated: backend address family/,
    ],
    [
      'idle timeout 0',
      '4652554c 01 0001 01 61 040a0000010050 00 00 00 00000000 0001 040a0000021f90 0001 00000000 00 00',
      19,
      /idleTimeoutMs: must be between 1s and 168h/,
    ],
  ])('rejects %s with the offset of the problem', (_, bytes, offset, message) => {
    const error = decodeError(fromHex(bytes));
    expect(error.message).toMatch(message);
    expect(error.offset).toBe(offset);
    expect(error.message).toContain(`(at byte ${offset})`);
  });

  it('rejects services out of order or repeated, pointing at the second one', () => {
    const body = (name: string, port: number) => encodeRules({ services: [service({ name, listen: `10.0.0.1:${port}` })] }).subarray(7);
    const header = fromHex('4652554c 01 0002');
    const join = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
    const first = body('b', 80);
    const unsorted = decodeError(join(header, first, body('a', 81)));
    expect(unsorted.message).toMatch(/services\[1\]\.name: "a" is not after "b"/);
    expect(unsorted.offset).toBe(7 + first.length);
    expect(decodeError(join(header, first, first)).message).toMatch(/"b" is not after "b"/);
    expect(decodeRules(join(header, body('a', 81), first)).services.map((s) => s.name)).toStrictEqual(['a', 'b']);
  });

  it('rejects duplicate or unsorted backends, pointing at the offending address', () => {
    const bytes = encodeRules({
      services: [
        service({
          backends: [
            { address: '10.0.0.2:80', weight: 1, maxConnections: 0, backup: false, state: 'enabled' },
            { address: '10.0.0.3:80', weight: 1, maxConnections: 0, backup: false, state: 'enabled' },
          ],
        }),
      ],
    });
    const secondAddress = bytes.length - 15;
    bytes[secondAddress + 4] = 2; // 10.0.0.3 → 10.0.0.2: a duplicate
    const duplicate = decodeError(bytes);
    expect(duplicate.message).toMatch(/backends\[1\]\.address: backends must be unique and sorted/);
    expect(duplicate.offset).toBe(secondAddress);
    bytes[secondAddress + 4] = 1; // 10.0.0.1:80 is now both before the first backend and the listen address
    expect(decodeError(bytes).offset).toBe(secondAddress);
  });
});
