import { describe, expect, it } from 'vitest';
import { BOOT_RECORD_SIZE, EMPTY_SLOT, decodeBootRecord, encodeBootRecord, type BootState } from '../../../../firmware/boot/boot-record.js';
import { BootStateStore, type BootStateUpdate } from '../../../../firmware/boot/boot-state-store.js';
import { MemoryFlash } from '../../../../sim/flash/memory-flash.js';
import { PowerCutError, PowerCutFlash } from '../../../../sim/flash/power-cut-flash.js';
import { GEOMETRY, LAYOUT } from './support.js';

/** Distinct records, told apart by their minimum security counter. */
function record(n: number): BootStateUpdate {
  return {
    confirmed: n % 2 === 0 ? 'A' : 'B',
    pending: n % 3 === 0 ? null : n % 2 === 0 ? 'B' : 'A',
    attemptsLeft: n % 4,
    minSecurityCounter: 1000 + n,
    slots: {
      A: {
        state: 'ready',
        wasConfirmed: true,
        problem: null,
        image: { version: { major: 1, minor: n, patch: 300, build: 70000 }, securityCounter: n, size: 4096 + n, sha256: new Uint8Array(32).fill(n) },
      },
      B: n % 2 === 0 ? EMPTY_SLOT : { state: 'invalid', wasConfirmed: false, problem: 'trial', image: null },
    },
    install: n % 2 === 0 ? { slot: 'B', size: 1234 + n, sha256: new Uint8Array(32).fill(0xa0 + n) } : null,
  };
}
const tagOf = (s: BootState | null) => (s === null ? null : s.minSecurityCounter - 1000);

describe('boot record', () => {
  it('round-trips every field', () => {
    for (let n = 1; n <= 6; n++) {
      const state: BootState = { ...record(n), sequence: 40 + n };
      const bytes = encodeBootRecord(state);
      expect(bytes.length).toBe(BOOT_RECORD_SIZE);
      expect(decodeBootRecord(bytes)).toEqual(state);
    }
  });

  it('is invalid after any single-byte change, or when erased', () => {
    const bytes = encodeBootRecord({ ...record(2), sequence: 9 });
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x04;
      expect(decodeBootRecord(bad), `byte ${i}`).toBeNull();
    }
    expect(decodeBootRecord(new Uint8Array(BOOT_RECORD_SIZE).fill(0xff))).toBeNull();
    expect(decodeBootRecord(bytes.subarray(0, BOOT_RECORD_SIZE - 1))).toBeNull();
  });
});

describe('boot state store', () => {
  it('reads nothing on a blank flash, then alternates copies with a rising sequence', async () => {
    const flash = new MemoryFlash(GEOMETRY);
    const store = await BootStateStore.open(flash, LAYOUT);
    expect(store.current).toBeNull();
    const copies: (0 | 1 | null)[] = [];
    for (let n = 1; n <= 4; n++) {
      const saved = await store.save(record(n));
      expect(saved.sequence).toBe(n);
      copies.push(store.currentCopy);
      const reread = await BootStateStore.open(flash, LAYOUT);
      expect(reread.current).toEqual(saved);
    }
    expect(copies).toEqual([0, 1, 0, 1]);
    const wear = await flash.wear();
    expect(wear[LAYOUT.bootState[0]]).toBe(2);
    expect(wear[LAYOUT.bootState[1]]).toBe(2);
  });

  it('falls back to the other copy when the newest is damaged', async () => {
    const flash = new MemoryFlash(GEOMETRY);
    const store = await BootStateStore.open(flash, LAYOUT);
    await store.save(record(1));
    await store.save(record(2));
    const at = LAYOUT.bootState[1] * GEOMETRY.sectorSize + 20;
    const damaged = await flash.read(at, 1);
    damaged[0]! ^= 1;
    await flash.overwrite(at, damaged);
    expect(tagOf((await BootStateStore.open(flash, LAYOUT)).current)).toBe(1);
  });

  it('a power cut at any flash operation of successive writes leaves the newest or the previous record', async () => {
    const writes = 6;
    const reference = new PowerCutFlash(new MemoryFlash(GEOMETRY));
    const store = await BootStateStore.open(reference, LAYOUT);
    for (let n = 1; n <= writes; n++) await store.save(record(n));
    const operations = reference.operations;
    expect(operations).toBe(2 * writes);

    const outcomes = { previous: 0, newest: 0 };
    for (let cut = 0; cut < operations; cut++) {
      for (let seed = 1; seed <= 8; seed++) {
        const inner = new MemoryFlash(GEOMETRY);
        const flash = new PowerCutFlash(inner, { cutAt: cut, seed: cut * 10 + seed });
        const s = await BootStateStore.open(flash, LAYOUT);
        let saved = 0;
        const err = await (async () => {
          for (let n = 1; n <= writes; n++) {
            await s.save(record(n));
            saved = n;
          }
        })().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `cut ${cut}`).toBeInstanceOf(PowerCutError);
        const after = (await BootStateStore.open(inner, LAYOUT)).current;
        const tag = tagOf(after);
        // The record being written at the cut is saved + 1; it may or may not have made it.
        expect([saved === 0 ? null : saved, saved + 1], `cut ${cut} seed ${seed}`).toContain(tag);
        if (after) expect(after).toEqual({ ...record(tag!), sequence: tag });
        outcomes[tag === saved + 1 ? 'newest' : 'previous'] += 1;
      }
    }
    // Both outcomes happen: the cuts do land before and after the commit point.
    expect(outcomes.previous).toBeGreaterThan(0);
    expect(outcomes.newest).toBeGreaterThan(0);
  });
});
