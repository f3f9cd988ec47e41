import { describe, expect, it } from 'vitest';
import { encodeManifest, FirmwareImageError, MANIFEST_MARKER, readManifest, simulatorPayload } from '../../../../src/protocol/image/image.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function manifestError(payload: Uint8Array): FirmwareImageError {
  try {
    readManifest(payload);
  } catch (err) {
    expect(err).toBeInstanceOf(FirmwareImageError);
    expect((err as FirmwareImageError).code).toBe('badManifest');
    return err as FirmwareImageError;
  }
  throw new Error('expected badManifest');
}

describe('simulator manifest', () => {
  it('reads the documented framing, with filler after it', () => {
    const payload = new Uint8Array([...text('FULCRUM-SIM-MANIFEST\n{"simulate":["crash-on-boot","slow-boot"]}\n'), 0, 1, 2, 0x0a, 0xff]);
    expect(readManifest(payload)).toEqual({ simulate: ['crash-on-boot', 'slow-boot'] });
  });

  it('has no behaviours when the payload does not start with the marker', () => {
    expect(readManifest(new Uint8Array(0))).toEqual({ simulate: [] });
    expect(readManifest(text('FULCRUM-SIM'))).toEqual({ simulate: [] });
    expect(readManifest(text('ELF... FULCRUM-SIM-MANIFEST\n{"simulate":["fails-health"]}\n'))).toEqual({ simulate: [] });
  });

  it('round-trips encodeManifest, and simulatorPayload has exactly the size asked for', () => {
    const payload = simulatorPayload({ simulate: ['fails-health'], size: 1000 });
    expect(payload.length).toBe(1000);
    expect(readManifest(payload)).toEqual({ simulate: ['fails-health'] });
    expect(readManifest(encodeManifest({ simulate: ['slow-boot'] }))).toEqual({ simulate: ['slow-boot'] });
  });

  it('filler is deterministic and carries no manifest of its own', () => {
    const a = simulatorPayload({ simulate: [], size: 4096 });
    expect(Buffer.from(a).equals(Buffer.from(simulatorPayload({ simulate: [], size: 4096 })))).toBe(true);
    expect(a[0]).not.toBe(MANIFEST_MARKER[0]);
    expect(readManifest(a)).toEqual({ simulate: [] });
    expect(new Set(a).size).toBe(256);
  });

  it('refuses a payload size too small for the manifest', () => {
    expect(() => simulatorPayload({ simulate: ['crash-on-boot'], size: 10 })).toThrow(RangeError);
  });

  it.each([
    ['an unknown behaviour', '{"simulate":["explode"]}\n', 'simulate[0] is "explode"'],
    ['a repeated behaviour', '{"simulate":["slow-boot","slow-boot"]}\n', 'listed twice'],
    ['an unknown key', '{"simulate":[],"delay":5}\n', '"delay"'],
    ['not an array', '{"simulate":"slow-boot"}\n', 'must be an array'],
    ['not an object', '["slow-boot"]\n', 'a JSON object'],
    ['not JSON', '{simulate: [slow-boot]}\n', 'not JSON'],
    ['no newline', '{"simulate":[]}', 'no newline'],
  ])('refuses %s with badManifest', (_what, line, message) => {
    expect(manifestError(text(`FULCRUM-SIM-MANIFEST\n${line}`)).message).toContain(message);
  });

  it('refuses a line that is not UTF-8', () => {
    expect(manifestError(new Uint8Array([...MANIFEST_MARKER, 0xff, 0xfe, 0x0a])).message).toContain('not UTF-8');
  });

  it('refuses a JSON line longer than the limit', () => {
    expect(manifestError(text(`FULCRUM-SIM-MANIFEST\n{"simulate":[]${' '.repeat(5000)}}\n`)).message).toContain('too long');
  });
});
