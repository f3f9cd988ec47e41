import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogError, FirmwareCatalog } from '../../../src/upgrade/catalog.js';
import { sha256, toHex } from '../../../src/protocol/digest.js';
import { FirmwareImageError } from '../../../src/protocol/image/image.js';
import { openStore, type AgentStore } from '../../../src/store/index.js';
import { image } from './rollout/support.js';

const dirs: string[] = [];
const stores: AgentStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function catalog(): Promise<{ catalog: FirmwareCatalog; dir: string; store: AgentStore }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-catalog-'));
  dirs.push(dir);
  const store = await openStore({ file: path.join(dir, 'fulcrum.db') });
  stores.push(store);
  return { catalog: new FirmwareCatalog(store.firmwareImages, path.join(dir, 'firmware')), dir: path.join(dir, 'firmware'), store };
}

async function imageError(action: () => Promise<unknown>): Promise<FirmwareImageError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(FirmwareImageError);
    return error as FirmwareImageError;
  }
  throw new Error('expected a FirmwareImageError');
}

describe('firmware catalog', () => {
  it('keeps images by the SHA-256 of the file, lists them in the database, and hands them back intact', async () => {
    const { catalog: c, dir, store } = await catalog();
    const bytes = image('1.4.0+12');
    const entry = await c.add(bytes, 1_000);
    expect(entry).toMatchObject({ sha256: toHex(sha256(bytes)), version: '1.4.0+12', securityCounter: 1, size: bytes.length, added: 1_000 });
    expect(entry.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(readdirSync(dir)).toEqual([`${entry.sha256}.fwi`]);
    expect(statSync(path.join(dir, `${entry.sha256}.fwi`)).mode & 0o777).toBe(0o600);
    expect(await c.get(entry.sha256)).toEqual(bytes);
    // Adding it again changes nothing, its first time stays.
    expect((await c.add(bytes, 2_000)).added).toBe(1_000);
    const other = await c.add(image('2.0.0'), 3_000);
    expect((await store.firmwareImages.list()).map((i) => i.version)).toEqual(['2.0.0', '1.4.0+12']);
    expect((await c.entry(other.sha256))?.version).toBe('2.0.0');
  });

  it('refuses junk with the image error, and bytes after the end of an image', async () => {
    const { catalog: c, dir, store } = await catalog();
    expect((await imageError(() => c.add(new TextEncoder().encode('not firmware at all, just text')))).code).toBe('truncated');
    const flipped = image('1.0.0');
    flipped[80]! ^= 1;
    expect((await imageError(() => c.add(flipped))).code).toBe('badHash');
    const padded = new Uint8Array([...image('1.0.0'), 0, 0, 0]);
    const extra = await imageError(() => c.add(padded));
    expect(extra.code).toBe('badTrailer');
    expect(extra.message).toMatch(/3 unexpected byte\(s\) after the end of the image/);
    expect(await store.firmwareImages.list()).toEqual([]);
    expect(() => readdirSync(dir)).toThrow();
  });

  it('says when an image is missing or its file was damaged, and a new add repairs it', async () => {
    const { catalog: c, dir } = await catalog();
    const bytes = image('1.0.0');
    const { sha256: hash } = await c.add(bytes);
    writeFileSync(path.join(dir, `${hash}.fwi`), bytes.subarray(0, 100));
    await expect(c.get(hash)).rejects.toThrow(expect.objectContaining({ code: 'damaged' }) as CatalogError);
    await c.add(bytes);
    expect(await c.get(hash)).toEqual(bytes);
    rmSync(path.join(dir, `${hash}.fwi`));
    await expect(c.get(hash)).rejects.toThrow(/the file is missing; the database lists it: add the image again/);
    await expect(c.get('ab'.repeat(32))).rejects.toThrow(CatalogError);
    await expect(c.get('../../etc/passwd')).rejects.toThrow(/not an image's SHA-256/);
  });
});
