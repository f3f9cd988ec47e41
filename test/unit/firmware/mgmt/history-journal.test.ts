import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordFromTable, withNote, type ConfigRecord } from '../../../../firmware/mgmt/config-record.js';
import { crc32 } from '../../../../src/protocol/digest.js';
import { decodeJournal, encodeJournal, HISTORY_MAGIC, JournalError, pickState, type Journal } from '../../../../firmware/mgmt/history-journal.js';
import { idOf, table } from './support.js';

const rec = (n: number): ConfigRecord => recordFromTable(table(n));
const ids = (list: readonly ConfigRecord[]) => list.map((c) => c.id);

/** The same bytes with the checksum made right again: what is refused then is refused for its content. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const body = out.length - 4;
  new DataView(out.buffer).setUint32(body, crc32(out.subarray(0, body)));
  return out;
}

const sample: Journal = {
  current: { startupId: idOf(4), history: [rec(3), rec(2), rec(1)] },
  previous: { startupId: idOf(3), history: [rec(2), rec(1)] },
};

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('history journal', () => {
  it('round-trips both states, storing each config once', () => {
    const bytes = encodeJournal(sample);
    expect(bytes.subarray(0, 5)).toEqual(Uint8Array.of(...HISTORY_MAGIC, 3));
    expect(bytes[5]).toBe(3); // pool: configs 3, 2, 1
    const { journal, problems } = decodeJournal(bytes);
    expect(problems).toEqual([]);
    expect(journal.current.startupId).toBe(idOf(4));
    expect(journal.previous.startupId).toBe(idOf(3));
    expect(ids(journal.current.history)).toEqual([3, 2, 1].map(idOf));
    expect(ids(journal.previous.history)).toEqual([2, 1].map(idOf));
    expect(journal.current.history[0]!.table).toEqual(table(3));
  });

  it('round-trips an unknown startup id and empty histories', () => {
    const { journal } = decodeJournal(encodeJournal({ current: { startupId: idOf(1), history: [] }, previous: { startupId: '', history: [] } }));
    expect(journal).toEqual({ current: { startupId: idOf(1), history: [] }, previous: { startupId: '', history: [] } });
  });

  it('rejects every truncation and every flipped bit', () => {
    const bytes = encodeJournal(sample);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeJournal(bytes.subarray(0, length)), `length ${length}`).toThrow(JournalError);
    }
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = bytes.slice();
        bad[i] = bad[i]! ^ (1 << bit);
        expect(() => decodeJournal(bad), `byte ${i} bit ${bit}`).toThrow(JournalError);
      }
    }
  });

  it('refuses another format version even with a valid checksum', () => {
    const bytes = encodeJournal(sample);
    bytes[4] = 4;
    expect(() => decodeJournal(resealed(bytes))).toThrow(/unsupported history journal version 4/);
  });

  it('round-trips the pending mark of each side', () => {
    const j: Journal = {
      current: { startupId: idOf(4), history: [rec(5), rec(3)], pending: true },
      previous: { startupId: idOf(4), history: [rec(3)] },
    };
    const { journal, problems } = decodeJournal(encodeJournal(j));
    expect(problems).toEqual([]);
    expect(journal.current.pending).toBe(true);
    expect(journal.previous.pending).toBeUndefined();
    expect(ids(journal.current.history)).toEqual([5, 3].map(idOf));
  });

  it('refuses a pending mark without its config, and unknown flag bits', () => {
    expect(() => encodeJournal({ current: { startupId: idOf(4), history: [], pending: true }, previous: { startupId: '', history: [] } })).toThrow(RangeError);
    // The flags byte of `current` sits after its startup id and its (empty) note.
    const bytes = encodeJournal({ current: { startupId: idOf(4), history: [] }, previous: { startupId: '', history: [] } });
    const flagsAt = 4 + 2 + 32 + 10;
    expect(bytes[flagsAt]).toBe(0);
    const pendingEmpty = bytes.slice();
    pendingEmpty[flagsAt] = 1;
    expect(() => decodeJournal(resealed(pendingEmpty))).toThrow(/pending with an empty history/);
    const unknown = bytes.slice();
    unknown[flagsAt] = 2;
    expect(() => decodeJournal(resealed(unknown))).toThrow(/unknown flags 0x2/);
  });

  it('reads a version 2 journal (before the pending mark) as not pending', () => {
    const j: Journal = { current: { startupId: idOf(4), history: [rec(5), rec(3)] }, previous: { startupId: idOf(3), history: [rec(3)] } };
    const v3 = encodeJournal(j);
    // Drop each state's flags byte: the previous state's sits after the current one's entries.
    const poolEnd = 6 + [rec(5), rec(3)].reduce((n, r) => n + 4 + r.encoding.length, 0);
    const currentFlags = poolEnd + 32 + 10;
    const previousFlags = currentFlags + 2 + 2 * 11 + 32 + 10;
    expect([v3[currentFlags], v3[currentFlags + 1], v3[previousFlags], v3[previousFlags + 1]]).toEqual([0, 2, 0, 1]);
    const v2 = Uint8Array.from([...v3.subarray(0, currentFlags), ...v3.subarray(currentFlags + 1, previousFlags), ...v3.subarray(previousFlags + 1)]);
    v2[4] = 2;
    const { journal, problems } = decodeJournal(resealed(v2));
    expect(problems).toEqual([]);
    expect(journal).toEqual(decodeJournal(v3).journal);
    expect(journal.current.pending).toBeUndefined();
  });

  it('drops the pending mark with its entry when the pending config no longer decodes', () => {
    const stale: ConfigRecord = { table: { services: [] }, encoding: Uint8Array.of(0x46, 0x52, 0x55, 0x4c, 0x07, 0, 0), id: idOf(9) };
    const bytes = encodeJournal({ current: { startupId: idOf(4), history: [stale, rec(1)], pending: true }, previous: { startupId: '', history: [] } });
    const { journal, problems } = decodeJournal(bytes);
    expect(journal.current).toEqual({ startupId: idOf(4), history: [rec(1)] });
    expect(problems.join()).toMatch(/commit pending in the current state was dropped/);
  });

  it('keeps who committed each entry, when and why, per entry (one config committed twice keeps both notes)', () => {
    const byAda = withNote(rec(2), { at: 1_700_000_000_123, by: 'ada@ops', comment: 'raise weights — café' });
    const byBob = withNote(rec(2), { at: 1_700_000_999_000, by: 'bob@ops', comment: '' });
    const startupNote = { at: 1_700_001_000_000, by: 'token ci', comment: 'nightly' };
    const { journal } = decodeJournal(
      encodeJournal({ current: { startupId: idOf(4), startupNote, history: [byBob, rec(3), byAda] }, previous: { startupId: '', history: [] } }),
    );
    expect(journal.current.startupNote).toEqual(startupNote);
    expect(journal.current.history.map((c) => c.note)).toEqual([byBob.note, undefined, byAda.note]);
    expect(ids(journal.current.history)).toEqual([2, 3, 2].map(idOf));
  });

  it('reads a version 1 journal (written before notes) with no notes', () => {
    const entry = rec(1).encoding;
    const v1: number[] = [...HISTORY_MAGIC, 1, 1, 0, 0, (entry.length >> 8) & 0xff, entry.length & 0xff, ...entry];
    const startup = Array.from({ length: 32 }, (_, i) => parseInt(idOf(4).slice(2 * i, 2 * i + 2), 16));
    v1.push(...startup, 1, 0, ...new Array<number>(32).fill(0), 0);
    const bytes = new Uint8Array(v1.length + 4);
    bytes.set(v1);
    new DataView(bytes.buffer).setUint32(v1.length, crc32(bytes.subarray(0, v1.length)));
    const { journal, problems } = decodeJournal(bytes);
    expect(problems).toEqual([]);
    expect(journal.current).toEqual({ startupId: idOf(4), history: [rec(1)] });
    expect(journal.previous).toEqual({ startupId: '', history: [] });
  });

  it('refuses a note too long for the console', () => {
    const long = withNote(rec(1), { at: 1, by: 'x'.repeat(256), comment: '' });
    expect(() => encodeJournal({ current: { startupId: idOf(4), history: [long] }, previous: { startupId: '', history: [] } })).toThrow(RangeError);
  });

  it('drops an intact entry that no longer decodes as a rule table, keeping the rest', () => {
    const stale: ConfigRecord = { table: { services: [] }, encoding: Uint8Array.of(0x46, 0x52, 0x55, 0x4c, 0x07, 0, 0), id: idOf(9) };
    const bytes = encodeJournal({ current: { startupId: idOf(4), history: [rec(3), stale, rec(1)] }, previous: { startupId: '', history: [] } });
    const { journal, problems } = decodeJournal(bytes);
    expect(ids(journal.current.history)).toEqual([3, 1].map(idOf));
    expect(problems.join()).toMatch(/entry 1 dropped: unsupported rule table format version 7/);
  });

  it('picks the side that matches the startup config, current on a tie', () => {
    expect(pickState(sample, idOf(4))).toEqual({ state: sample.current, problem: null });
    expect(pickState(sample, idOf(3))).toEqual({ state: sample.previous, problem: null });
    const tie: Journal = { current: { startupId: idOf(3), history: [rec(1)] }, previous: { startupId: idOf(3), history: [] } };
    expect(pickState(tie, idOf(3)).state).toBe(tie.current);
    const stray = pickState(sample, idOf(7));
    expect(stray.state).toBe(sample.current);
    expect(stray.problem).toMatch(/kept it/);
  });

  it('round-trips any pair of histories, pending or not (property)', () => {
    const history = fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 10 });
    const startup = fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined });
    fc.assert(
      fc.property(history, history, startup, startup, fc.boolean(), fc.boolean(), (a, b, sa, sb, pa, pb) => {
        const j: Journal = {
          current: { startupId: sa === undefined ? '' : idOf(sa), history: a.map(rec), ...(pa && a.length > 0 ? { pending: true } : {}) },
          previous: { startupId: sb === undefined ? '' : idOf(sb), history: b.map(rec), ...(pb && b.length > 0 ? { pending: true } : {}) },
        };
        const { journal } = decodeJournal(encodeJournal(j));
        expect(journal.current.startupId).toBe(j.current.startupId);
        expect(journal.previous.startupId).toBe(j.previous.startupId);
        expect(ids(journal.current.history)).toEqual(a.map(idOf));
        expect(ids(journal.previous.history)).toEqual(b.map(idOf));
        expect([journal.current.pending, journal.previous.pending]).toEqual([j.current.pending, j.previous.pending]);
      }),
      { numRuns: 60 },
    );
  });
});
