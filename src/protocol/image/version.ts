import { FirmwareImageError } from './errors.js';

/** major.minor.patch+build, the widths of the image header: u8, u8, u16, u32. */
export interface FirmwareVersion {
  major: number;
  minor: number;
  patch: number;
  build: number;
}

export const VERSION_LIMITS = { major: 0xff, minor: 0xff, patch: 0xffff, build: 0xffff_ffff } as const;

/** "1.2.3", or "1.2.3+4" when the build number is not 0 (build 0 means "no build number"). */
export function formatVersion(v: FirmwareVersion): string {
  const base = `${v.major}.${v.minor}.${v.patch}`;
  return v.build === 0 ? base : `${base}+${v.build}`;
}

// Decimal without leading zeros (as semver), so every version has exactly one spelling.
const NUMBER = '(0|[1-9][0-9]*)';
const VERSION_TEXT = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:\\+${NUMBER})?$`);

/** The inverse of formatVersion. Junk or a number too wide for its header field → FirmwareImageError('badHeader'). */
export function parseVersion(text: string): FirmwareVersion {
  const m = VERSION_TEXT.exec(text);
  if (!m) {
    throw new FirmwareImageError(
      'badHeader',
      `version ${JSON.stringify(text)} is not MAJOR.MINOR.PATCH or MAJOR.MINOR.PATCH+BUILD (decimal, no leading zeros)`,
    );
  }
  const version = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), build: m[4] === undefined ? 0 : Number(m[4]) };
  checkVersion(version, `version ${JSON.stringify(text)}`);
  return version;
}

/** Throws FirmwareImageError('badHeader') when a field is not an integer that fits its header field. */
export function checkVersion(v: FirmwareVersion, what = 'version'): void {
  for (const field of ['major', 'minor', 'patch', 'build'] as const) {
    const value = v[field];
    if (!Number.isInteger(value) || value < 0 || value > VERSION_LIMITS[field]) {
      throw new FirmwareImageError('badHeader', `${what}: ${field} ${value} is not an integer in 0..${VERSION_LIMITS[field]}`);
    }
  }
}

/**
 * Negative when a < b, 0 when equal, positive when a > b, ordered by major, minor, patch, then
 * build. Unlike semver build metadata, our build number counts: 1.2.3+5 is newer than 1.2.3+4.
 */
export function compareVersions(a: FirmwareVersion, b: FirmwareVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.build - b.build;
}
