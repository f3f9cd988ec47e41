/** The config-slot messages (readSlot, commitNote) and the history list: exact layouts, strict decoding, round trips. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload, MessageType, PayloadError } from '../../../../src/protocol/serial/index.js';
import { decodeHistoryList, encodeHistoryList, HistoryListError, type HistoryEntry } from '../../../../src/protocol/serial/payload-config-slots.js';
import { id } from './messages.js';

describe('readSlot and commitNote payloads', () => {
  it('lays readSlot out as u8 slot, u8 index, u32 offset, u16 maxBytes', () => {
    const bytes = encodePayload({ type: 'readSlot', slot: 'rollback', index: 2, offset: 0x01020304, maxBytes: 1000 });
    expect([...bytes]).toEqual([3, 2, 1, 2, 3, 4, 0x03, 0xe8]);
    expect(decodePayload(MessageType.readSlot, bytes)).toEqual({ type: 'readSlot', slot: 'rollback', index: 2, offset: 0x01020304, maxBytes: 1000 });
  });

  it('refuses an index that does not go with its slot, an unknown slot, and maxBytes 0', () => {
    expect(() => decodePayload(MessageType.readSlot, Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 1))).toThrow(/index 0 does not go with slot rollback/);
    expect(() => decodePayload(MessageType.readSlot, Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 1))).toThrow(/index 1 does not go with slot startup/);
    expect(() => decodePayload(MessageType.readSlot, Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 1))).toThrow(PayloadError);
    expect(() => decodePayload(MessageType.readSlot, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0))).toThrow(/maxBytes 0/);
    expect(() => encodePayload({ type: 'readSlot', slot: 'history', index: 1, offset: 0, maxBytes: 1 })).toThrow(RangeError);
  });

  it('carries a commit note as two str8 fields, UTF-8', () => {
    const bytes = encodePayload({ type: 'commitNote', by: 'ada@h', comment: 'café' });
    expect([...bytes]).toEqual([5, ...new TextEncoder().encode('ada@h'), 5, ...new TextEncoder().encode('café')]);
    expect(decodePayload(MessageType.commitNote, bytes)).toEqual({ type: 'commitNote', by: 'ada@h', comment: 'café' });
    expect(encodePayload({ type: 'commitNoteOk' })).toHaveLength(0);
    expect(() => encodePayload({ type: 'commitNote', by: 'x'.repeat(256), comment: '' })).toThrow(RangeError);
  });
});

const entry: fc.Arbitrary<HistoryEntry> = fc.record({
  configId: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  at: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  by: fc.string({ maxLength: 60 }),
  comment: fc.string({ maxLength: 60 }),
});

describe('history list', () => {
  it('round-trips any list of up to 10 entries', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), (entries) => {
        expect(decodeHistoryList(encodeHistoryList(entries))).toEqual(entries);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every truncation and trailing bytes with the offset', () => {
    const bytes = encodeHistoryList([{ configId: id(1), at: 1_700_000_000_000, by: 'ada@h', comment: 'x' }]);
    for (let n = 0; n < bytes.length; n++) expect(() => decodeHistoryList(bytes.subarray(0, n)), `length ${n}`).toThrow(HistoryListError);
    expect(() => decodeHistoryList(Uint8Array.of(...bytes, 0))).toThrow(HistoryListError);
  });
});
