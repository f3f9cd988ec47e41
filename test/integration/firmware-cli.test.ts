import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseImage, readManifest } from '../../src/protocol/image/image.js';
import { fulcrum, type CliResult } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-firmware-cli-'));
const keys = path.join(dir, 'keys');
const otherKeys = path.join(dir, 'other-keys');

function json<T>(r: CliResult): T {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface KeygenJson {
  key: string;
  pub: string;
  keyId: string;
}
interface BuildJson {
  file: string;
  version: string;
  securityCounter: number;
  size: number;
  sha256: string;
  signedDigest: string;
  keyId: string;
  simulate: string[];
}
interface InspectJson {
  version: string;
  securityCounter: number;
  size: number;
  sha256: string;
  keyId: string;
  verified: boolean;
  simulate: string[];
}

describe('fulcrum firmware keygen | build | inspect', () => {
  const image = path.join(dir, 'fw-1.2.3.img');
  let key: KeygenJson;

  it('keygen writes a private key only its owner can read, and a public key', () => {
    key = json<KeygenJson>(fulcrum(['firmware', 'keygen', '--out', keys, '--json']));
    expect(key.key).toBe(path.join(keys, 'signing.key'));
    expect(key.pub).toBe(path.join(keys, 'signing.pub'));
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(statSync(key.key).mode & 0o777).toBe(0o600);
    expect(statSync(key.pub).mode & 0o777).toBe(0o644);
    expect(readFileSync(key.key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(key.pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('keygen refuses to overwrite an existing key (exit 3, key unchanged) unless --force', () => {
    const before = readFileSync(key.key, 'utf8');
    const refused = fulcrum(['firmware', 'keygen', '--out', keys]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('signing.key');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(key.key, 'utf8')).toBe(before);
    const forced = json<KeygenJson>(fulcrum(['firmware', 'keygen', '--out', keys, '--force', '--json']));
    expect(forced.keyId).not.toBe(key.keyId);
    expect(readFileSync(key.key, 'utf8')).not.toBe(before);
    expect(statSync(key.key).mode & 0o777).toBe(0o600);
    key = forced;
  });

  it('build writes a signed image with the manifest asked for, and no stray temporary file', () => {
    const built = json<BuildJson>(
      fulcrum([
        'firmware',
        'build',
        '--version',
        '1.2.3+4',
        '--security-counter',
        '7',
        '--key',
        key.key,
        '--out',
        image,
        '--payload-size',
        '4KiB',
        '--simulate',
        'fails-health',
        '--simulate',
        'slow-boot',
        '--json',
      ]),
    );
    expect(built).toMatchObject({ file: image, version: '1.2.3+4', securityCounter: 7, keyId: key.keyId, simulate: ['fails-health', 'slow-boot'] });
    const parsed = parseImage(new Uint8Array(readFileSync(image)));
    expect(parsed.size).toBe(built.size);
    expect(parsed.payload.length).toBe(4096);
    // One identifier: the file's SHA-256 (sha256sum's, the catalog's); the signed digest is named apart.
    expect(built.sha256).toBe(createHash('sha256').update(readFileSync(image)).digest('hex'));
    expect(Buffer.from(parsed.sha256).toString('hex')).toBe(built.signedDigest);
    expect(built.signedDigest).not.toBe(built.sha256);
    expect(readManifest(parsed.payload).simulate).toEqual(['fails-health', 'slow-boot']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('build from a payload file keeps its bytes', () => {
    const payload = path.join(dir, 'payload.bin');
    writeFileSync(payload, Buffer.from('real firmware bytes\0\x01\x02'));
    const out = path.join(dir, 'from-file.img');
    json<BuildJson>(
      fulcrum(['firmware', 'build', '--version', '2.0.0', '--security-counter', '1', '--key', key.key, '--out', out, '--payload', payload, '--json']),
    );
    expect(Buffer.from(parseImage(new Uint8Array(readFileSync(out))).payload).equals(readFileSync(payload))).toBe(true);
  });

  it('inspect --pubkey with the signing key: verified', () => {
    const inspected = json<InspectJson>(fulcrum(['firmware', 'inspect', image, '--pubkey', key.pub, '--json']));
    expect(inspected).toMatchObject({ version: '1.2.3+4', securityCounter: 7, keyId: key.keyId, verified: true, simulate: ['fails-health', 'slow-boot'] });
    expect(inspected.sha256).toBe(createHash('sha256').update(readFileSync(image)).digest('hex'));
    const human = fulcrum(['firmware', 'inspect', image, '--pubkey', key.pub]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`verified with ${key.pub}`);
  });

  it('inspect without --pubkey reports the image, unverified', () => {
    expect(json<InspectJson>(fulcrum(['firmware', 'inspect', image, '--json'])).verified).toBe(false);
  });

  it("inspect with another key's public key: untrusted, exit 3", () => {
    const other = json<KeygenJson>(fulcrum(['firmware', 'keygen', '--out', otherKeys, '--json']));
    const r = fulcrum(['firmware', 'inspect', image, '--pubkey', other.pub, '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('untrustedKey');
    expect(r.stderr).toContain(key.keyId);
    // Any one of several given keys is enough.
    expect(json<InspectJson>(fulcrum(['firmware', 'inspect', image, '--pubkey', other.pub, '--pubkey', key.pub, '--json'])).verified).toBe(true);
  });

  it('inspect of a file with one flipped byte: exit 3 naming the damage', () => {
    const bytes = readFileSync(image);
    bytes[64 + 1000]! ^= 0x20;
    const damaged = path.join(dir, 'damaged.img');
    writeFileSync(damaged, bytes);
    const r = fulcrum(['firmware', 'inspect', damaged, '--pubkey', key.pub]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(damaged);
    expect(r.stderr).toContain('badHash');
  });

  it('inspect of something that is not an image, or is missing: exit 3', () => {
    const notImage = fulcrum(['firmware', 'inspect', key.pub]);
    expect(notImage.code).toBe(3);
    expect(notImage.stderr).toContain('badMagic');
    const missing = fulcrum(['firmware', 'inspect', path.join(dir, 'nope.img')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.img');
  });

  it('inspect with a --pubkey that is not a public key: exit 3 naming the file', () => {
    const r = fulcrum(['firmware', 'inspect', image, '--pubkey', key.key]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(key.key);
    expect(r.stderr).toContain('PRIVATE KEY');
  });

  it.each([
    ['a bad version', ['--version', '1.2', '--security-counter', '1', '--payload-size', '100'], 2, '--version'],
    ['a bad security counter', ['--version', '1.0.0', '--security-counter', '-3', '--payload-size', '100'], 2, '--security-counter'],
    ['a counter past 32 bits', ['--version', '1.0.0', '--security-counter', '4294967296', '--payload-size', '100'], 2, '--security-counter'],
    ['an unknown behaviour', ['--version', '1.0.0', '--security-counter', '1', '--payload-size', '100', '--simulate', 'explode'], 2, 'explode'],
    ['both payload options', ['--version', '1.0.0', '--security-counter', '1', '--payload-size', '100', '--payload', '/nonexistent/payload'], 2, 'exactly one'],
    ['no payload option', ['--version', '1.0.0', '--security-counter', '1'], 2, 'exactly one'],
    ['a bad payload size', ['--version', '1.0.0', '--security-counter', '1', '--payload-size', 'lots'], 2, '--payload-size'],
    [
      'a payload too small for the manifest',
      ['--version', '1.0.0', '--security-counter', '1', '--payload-size', '10', '--simulate', 'slow-boot'],
      2,
      'manifest',
    ],
    ['a missing payload file', ['--version', '1.0.0', '--security-counter', '1', '--payload', '/nonexistent/payload'], 3, '/nonexistent/payload'],
  ])('build refuses %s with the right exit code and writes nothing', (_what, args, code, message) => {
    const out = path.join(dir, `refused-${Math.random().toString(36).slice(2)}.img`);
    const r = fulcrum(['firmware', 'build', '--key', key.key, '--out', out, ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('build refuses a missing key file or a public key given as --key (exit 3) and writes nothing', () => {
    const out = path.join(dir, 'no-key.img');
    for (const bad of [path.join(dir, 'missing.key'), key.pub]) {
      const r = fulcrum(['firmware', 'build', '--version', '1.0.0', '--security-counter', '1', '--payload-size', '100', '--key', bad, '--out', out]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(bad);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('build with a bad --version leaves an existing image untouched', () => {
    const before = readFileSync(image);
    const r = fulcrum(['firmware', 'build', '--version', 'one', '--security-counter', '1', '--key', key.key, '--out', image, '--payload-size', '100']);
    expect(r.code).toBe(2);
    expect(readFileSync(image).equals(before)).toBe(true);
  });
});
