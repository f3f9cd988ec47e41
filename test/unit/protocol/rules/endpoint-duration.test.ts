import { describe, expect, it } from 'vitest';
import { canonicalEndpoint, compareEndpoints, formatDuration, parseDuration, parseEndpoint } from '../../../../src/protocol/rules/index.js';

describe('parseEndpoint', () => {
  it('returns host, port, family and network-order bytes', () => {
    expect(parseEndpoint('192.168.1.20:8080')).toStrictEqual({
      host: '192.168.1.20',
      port: 8080,
      family: 4,
      bytes: Uint8Array.of(192, 168, 1, 20),
    });
    const v6 = parseEndpoint('[2001:DB8::0a:1]:443');
    expect(v6).toMatchObject({ host: '2001:db8::a:1', port: 443, family: 6 });
    expect(Array.from(v6.bytes)).toStrictEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 1]);
  });

  it.each([
    ['[2001:0db8:0000:0000:0000:0000:0000:0001]:1', '[2001:db8::1]:1'],
    ['[::]:1', '[::]:1'],
    ['[0:0:0:0:0:0:0:1]:1', '[::1]:1'],
    ['[1:0:0:0:0:0:0:0]:1', '[1::]:1'],
    // A single zero group is not compressed (RFC 5952 4.2.2).
    ['[2001:db8:0:1:1:1:1:1]:1', '[2001:db8:0:1:1:1:1:1]:1'],
    // Longest run wins; on a tie the first one (4.2.3).
    ['[2001:0:0:1:0:0:0:1]:1', '[2001:0:0:1::1]:1'],
    ['[2001:db8:0:0:1:0:0:1]:1', '[2001:db8::1:0:0:1]:1'],
    ['[::FFFF:192.0.2.1]:1', '[::ffff:192.0.2.1]:1'],
    ['[::ffff:c000:0201]:1', '[::ffff:192.0.2.1]:1'],
    ['[1:2:3:4:5:6:1.2.3.4]:1', '[1:2:3:4:5:6:102:304]:1'],
    ['[1:2:3:4:5:6:7::]:1', '[1:2:3:4:5:6:7:0]:1'],
    ['10.0.0.1:00080', '10.0.0.1:80'],
  ])('respells %s as %s', (input, canonical) => {
    expect(canonicalEndpoint(input)).toBe(canonical);
  });

  it.each([
    ['example.com:80', 'host names are not resolved'],
    ['10.0.0.1', 'has no port'],
    ['10.0.0.1:', 'is not a number'],
    ['10.0.0.1:http', 'is not a number'],
    ['1.2.3:80', 'expected four dot-separated numbers'],
    ['1.2.3.4.5:80', 'expected four dot-separated numbers'],
    ['01.2.3.4:80', 'leading zero'],
    ['::1:80', 'needs brackets'],
    ['[::1]', 'has no port'],
    ['[::1]80', 'expected ":PORT"'],
    ['[::1:80', 'missing "]"'],
    ['[fe80::1%eth0]:80', 'zone ids'],
    ['[1:2:3:4:5:6:7:8:9]:80', 'expected 8 groups'],
    ['[1:2:3:4:5:6:7]:80', 'expected 8 groups'],
    ['[1:2:3:4::5:6:7:8]:80', 'too many groups'],
    [':1::2', 'needs brackets'],
    ['[:1::2]:80', 'empty group'],
    ['[1.2.3.4::]:80', 'bad group'],
    ['[12345::]:80', 'bad group'],
    ['[::1.2.3.256]:80', 'embedded IPv4'],
  ])('rejects %s (%s)', (input, reason) => {
    expect(() => parseEndpoint(input)).toThrow(TypeError);
    expect(() => parseEndpoint(input)).toThrow(reason);
  });

  it('orders numerically: family, then address, then port', () => {
    const sorted = ['10.0.0.10:1', '10.0.0.9:2', '[::1]:1', '10.0.0.9:1', '1.0.0.0:65535']
      .map(parseEndpoint)
      .sort(compareEndpoints)
      .map((e) => canonicalEndpoint(e.family === 4 ? `${e.host}:${e.port}` : `[${e.host}]:${e.port}`));
    expect(sorted).toStrictEqual(['1.0.0.0:65535', '10.0.0.9:1', '10.0.0.9:2', '10.0.0.10:1', '[::1]:1']);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['3d', 259_200_000],
    ['1d12h', 129_600_000],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
    ['2000ms', 2_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['300', 'has no unit'],
    ['', 'empty duration'],
    ['-1s', 'cannot be negative'],
    ['2 s', 'without spaces, e.g. "2s"'],
    ['5sec', 'unknown unit "sec"'],
    ['1w', 'unknown unit "w" in "1w"; use ms, s, m, h or d'],
    ['1.0005s', 'not a whole number of milliseconds'],
    ['s', 'cannot read'],
  ])('rejects %j (%s)', (text, reason) => {
    expect(() => parseDuration(text)).toThrow(reason);
  });

  it('formats the shortest exact spelling, which reads back to the same value', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(1_500)).toBe('1s500ms');
    expect(formatDuration(7 * 86_400_000)).toBe('168h');
    for (const ms of [1, 999, 1_000, 61_001, 3_600_000, 3_661_001]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
