import { describe, expect, it } from 'vitest';
import { compareVersions, FirmwareImageError, formatVersion, parseVersion } from '../../../../src/protocol/image/image.js';

describe('firmware versions', () => {
  it('parses MAJOR.MINOR.PATCH and MAJOR.MINOR.PATCH+BUILD', () => {
    expect(parseVersion('1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, build: 0 });
    expect(parseVersion('255.255.65535+4294967295')).toEqual({ major: 255, minor: 255, patch: 65535, build: 4294967295 });
  });

  it('formats build 0 without "+0", and round-trips', () => {
    expect(formatVersion({ major: 1, minor: 2, patch: 3, build: 0 })).toBe('1.2.3');
    expect(formatVersion({ major: 1, minor: 2, patch: 3, build: 4 })).toBe('1.2.3+4');
    for (const text of ['0.0.0', '1.2.3', '1.2.3+4', '10.0.300+77']) expect(formatVersion(parseVersion(text))).toBe(text);
  });

  it.each(['', '1.2', '1.2.3.4', 'v1.2.3', '1.2.3-rc1', '1.02.3', '1.2.3+', ' 1.2.3', '1.2.3+0x1', '256.0.0', '0.0.65536', '1.2.3+4294967296'])(
    'refuses %j with badHeader and the text in the message',
    (text) => {
      let error: unknown;
      try {
        parseVersion(text);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(FirmwareImageError);
      expect((error as FirmwareImageError).code).toBe('badHeader');
      expect((error as FirmwareImageError).message).toContain(JSON.stringify(text));
    },
  );

  it('orders by major, minor, patch, then build', () => {
    const sorted = ['0.9.9+9', '1.0.0', '1.0.0+1', '1.0.1', '1.1.0', '2.0.0'];
    const shuffled = [...sorted].reverse();
    expect(shuffled.map(parseVersion).sort(compareVersions).map(formatVersion)).toEqual(sorted);
    expect(compareVersions(parseVersion('1.2.3+4'), parseVersion('1.2.3+4'))).toBe(0);
    expect(compareVersions(parseVersion('1.10.0'), parseVersion('1.9.0'))).toBeGreaterThan(0);
  });
});
