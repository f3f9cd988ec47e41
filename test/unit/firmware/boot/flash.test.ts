import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlashError, type FlashGeometry, type FlashPort } from '../../../../firmware/boot/index.js';
import { FileFlash } from '../../../../sim/flash/file-flash.js';
import { MemoryFlash } from '../../../../sim/flash/memory-flash.js';
import { PowerCutError, PowerCutFlash } from '../../../../sim/flash/power-cut-flash.js';

const G: FlashGeometry = { size: 8 * 4096, sectorSize: 4096, writeSize: 16 };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'fulcrum-flash-'));
  dirs.push(d);
  return d;
};

const filled = (n: number, v: number) => new Uint8Array(n).fill(v);
const codeOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlashError);
  return (err as FlashError).code;
};

const makers: [string, () => Promise<FlashPort & { close?: () => Promise<void> }>][] = [
  ['MemoryFlash', async () => new MemoryFlash(G)],
  ['FileFlash', () => FileFlash.open(path.join(tempDir(), 'flash.bin'), G)],
];

describe.each(makers)('%s keeps the NOR rules', (_name, make) => {
  it('starts erased', async () => {
    const flash = await make();
    expect(await flash.read(0, G.size)).toEqual(filled(G.size, 0xff));
    expect(await flash.wear()).toEqual(new Array(8).fill(0));
    await flash.close?.();
  });

  it('programs erased granules, refuses to program one twice until it is erased', async () => {
    const flash = await make();
    await flash.write(4096, filled(32, 0x5a));
    expect(await flash.read(4090, 40)).toEqual(Uint8Array.from([...filled(6, 0xff), ...filled(32, 0x5a), 0xff, 0xff]));
    expect(await codeOf(flash.write(4096 + 16, filled(16, 0x00)))).toBe('notErased');
    // Even a write that would only clear bits is refused: a granule is programmed once.
    expect(await codeOf(flash.write(4096, filled(16, 0x00)))).toBe('notErased');
    expect(await flash.read(4096, 32)).toEqual(filled(32, 0x5a));
    await flash.erase(1);
    expect(await flash.read(4096, 4096)).toEqual(filled(4096, 0xff));
    await flash.write(4096 + 16, filled(16, 0x00));
    expect(await flash.read(4096 + 16, 16)).toEqual(filled(16, 0));
    await flash.close?.();
  });

  it('enforces alignment and bounds', async () => {
    const flash = await make();
    expect(await codeOf(flash.write(8, filled(16, 0)))).toBe('misaligned');
    expect(await codeOf(flash.write(16, filled(15, 0)))).toBe('misaligned');
    expect(await codeOf(flash.write(G.size - 16, filled(32, 0)))).toBe('outOfRange');
    expect(await codeOf(flash.read(G.size - 1, 2))).toBe('outOfRange');
    expect(await codeOf(flash.erase(8))).toBe('outOfRange');
    expect(await codeOf(flash.erase(-1))).toBe('outOfRange');
    expect(await flash.read(0, 64)).toEqual(filled(64, 0xff));
    await flash.close?.();
  });

  it('counts erases per sector', async () => {
    const flash = await make();
    await flash.erase(3);
    await flash.erase(3);
    await flash.erase(7);
    expect(await flash.wear()).toEqual([0, 0, 0, 2, 0, 0, 0, 1]);
    await flash.close?.();
  });
});

describe('FileFlash', () => {
  it('keeps contents and wear across a reopen, and refuses a file of another size', async () => {
    const file = path.join(tempDir(), 'flash.bin');
    const flash = await FileFlash.open(file, G);
    expect(statSync(file).size).toBe(G.size);
    await flash.write(0, filled(16, 0x11));
    await flash.erase(2);
    await flash.close();
    const again = await FileFlash.open(file, G);
    expect(await again.read(0, 17)).toEqual(Uint8Array.from([...filled(16, 0x11), 0xff]));
    expect(await again.wear()).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    expect(await codeOf(again.write(0, filled(16, 0)))).toBe('notErased');
    await again.close();
    expect(readFileSync(file).subarray(0, 16)).toEqual(Buffer.alloc(16, 0x11));

    const other = path.join(tempDir(), 'flash.bin');
    writeFileSync(other, Buffer.alloc(100, 0xff));
    const err = await FileFlash.open(other, G).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).message).toMatch(/100 bytes.*32768/);
    expect(statSync(other).size).toBe(100);
  });
});

describe('PowerCutFlash', () => {
  const intended = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff);

  it('passes operations through until the cut, then tears the one it cuts and refuses everything after', async () => {
    const inner = new MemoryFlash(G);
    const flash = new PowerCutFlash(inner, { cutAt: 2, seed: 7 });
    await flash.write(0, filled(16, 1));
    await flash.erase(1);
    await expect(flash.write(4096, intended)).rejects.toBeInstanceOf(PowerCutError);
    expect(flash.operations).toBe(3);
    await expect(flash.read(0, 16)).rejects.toBeInstanceOf(PowerCutError);
    await expect(flash.erase(2)).rejects.toBeInstanceOf(PowerCutError);
    expect(await inner.read(0, 16)).toEqual(filled(16, 1));
  });

  it('a torn write is a prefix of whole granules, then one granule with only some bits programmed, then erased bytes', async () => {
    const shapes = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const inner = new MemoryFlash(G);
      await expect(new PowerCutFlash(inner, { cutAt: 0, seed }).write(4096, intended)).rejects.toBeInstanceOf(PowerCutError);
      const got = await inner.read(4096, intended.length);
      let prefix = 0;
      while (prefix < 16 && got.subarray(prefix * 16, prefix * 16 + 16).every((b, i) => b === intended[prefix * 16 + i])) prefix++;
      shapes.add(prefix);
      if (prefix < 16) {
        const torn = got.subarray(prefix * 16, prefix * 16 + 16);
        // Bits meant to stay 1 are 1: the torn granule only lacks some of its 0-bits.
        torn.forEach((b, i) => expect(b & intended[prefix * 16 + i]!).toBe(intended[prefix * 16 + i]));
        expect(got.subarray(prefix * 16 + 16)).toEqual(filled(intended.length - prefix * 16 - 16, 0xff));
      }
      expect(await inner.read(4096 + intended.length, 16)).toEqual(filled(16, 0xff));
    }
    expect(shapes.size).toBeGreaterThan(5);
  });

  it('a torn erase leaves the sector anywhere between old and erased, and replays with the same seed', async () => {
    const outcomes: Uint8Array[] = [];
    for (const seed of [3, 3, 4, 5, 6, 7, 8, 9]) {
      const inner = new MemoryFlash(G);
      await inner.write(4096, filled(4096, 0x00));
      await expect(new PowerCutFlash(inner, { cutAt: 0, seed }).erase(1)).rejects.toBeInstanceOf(PowerCutError);
      outcomes.push(await inner.read(4096, 4096));
      expect(await inner.read(0, 4096)).toEqual(filled(4096, 0xff));
      expect(await inner.read(8192, 16)).toEqual(filled(16, 0xff));
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(new Set(outcomes.map((o) => Buffer.from(o).toString('base64'))).size).toBeGreaterThan(2);
  });
});
