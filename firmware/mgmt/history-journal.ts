/**
 * The rollback history on flash (`history.bin`), written as a two-state journal.
 *
 * The appliance keeps two blobs: `startup.rules` (the config a boot runs, read by the appliance
 * itself) and this one. Storage replaces one blob atomically, never two together, so a power cut
 * can fall between the two writes of one operation. To make that harmless, each write of this
 * blob records both the state storage holds now (`previous`) and the state being moved to
 * (`current`), each tagged with the id of the startup config it belongs with. `startup.rules` is
 * written after it and is the commit point: on load the state whose startup id matches the
 * startup config on flash wins, so startup and history always come from the same side of the cut.
 *
 *   journal := magic "FHIS" (46 48 49 53)  u8 version (3; 2 and 1 are read too)
 *              u8 pool size P   P × entry           -- distinct configs, each stored once
 *              state current    state previous
 *              u32 CRC-32 of every byte before it
 *   entry   := u32 length  canonical rule-table bytes (length ≥ 1)
 *   state   := 32 bytes startup id (raw SHA-256; all zero: unknown)  note of the startup config
 *              u8 flags  u8 count  count × (u8 pool index  note)  -- history, most recent first
 *   flags   := bit 0 pending: history entry 0 is a commit confirmed that was running, not yet
 *              confirmed, when this state was written (count ≥ 1); bits 1–7 zero
 *   note    := u64 at (epoch ms; 0 unknown)  u8 length  by (UTF-8)  u8 length  comment (UTF-8)
 *
 * Version 2 has no flags byte (its states read as not pending); version 1 (before notes) has
 * neither flags nor note fields (its states read with empty notes). The pool holds each config
 * once; its notes belong to the state entries, since one config can have been committed twice
 * (by different people).
 *
 * Why the pending flag: while a commit confirmed is pending, storage holds the confirmed startup
 * config with the unconfirmed one as rollback 1, which a reboot runs as a revert. Without the
 * flag that state reads the same as an operator's rollback away from that config; with it, a
 * failover member that restarts can tell that its commit was interrupted, not undone, and take
 * it up again while its group settles it (firmware/failover/rejoin.ts).
 *
 * Integers are unsigned big-endian. The pool lets both states share entries (they differ by about
 * one config), keeping the blob near the size of one history.
 */

import { CodecError } from '../../src/protocol/rules/index.js';
import { NO_NOTE, recordFromBytes, shortId, withNote, type CommitNote, type ConfigRecord } from './config-record.js';
import { crc32 } from '../../src/protocol/digest.js';

export const HISTORY_FILE = 'history.bin';
export const HISTORY_MAGIC = Uint8Array.of(0x46, 0x48, 0x49, 0x53);
export const HISTORY_FORMAT_VERSION = 3;
const VERSION_WITHOUT_FLAGS = 2;
const VERSION_WITHOUT_NOTES = 1;
const FLAG_PENDING = 0x01;

/** What one side of the journal describes. */
export interface SavedState {
  /** Id of the startup config this history belongs with; '' when unknown. */
  readonly startupId: string;
  /** How the startup config came to run (NO_NOTE when not known). */
  readonly startupNote?: CommitNote;
  /** Previously committed configs, most recent first, each with its note. */
  readonly history: readonly ConfigRecord[];
  /** history[0] was running as a commit confirmed still pending when this state was written (absent: false). */
  readonly pending?: boolean;
}

export interface Journal {
  readonly current: SavedState;
  readonly previous: SavedState;
}

/** The blob is not a journal this firmware wrote (truncated, rotten, other version). */
export class JournalError extends Error {
  override readonly name = 'JournalError';
}

const ID_BYTES = 32;

export function encodeJournal(journal: Journal): Uint8Array {
  const pool: ConfigRecord[] = [];
  const slot = new Map<string, number>();
  for (const state of [journal.current, journal.previous]) {
    for (const entry of state.history) {
      if (!slot.has(entry.id)) {
        slot.set(entry.id, pool.length);
        pool.push(entry);
      }
    }
  }
  if (pool.length > 255) throw new RangeError(`history journal: ${pool.length} distinct configs do not fit`);
  for (const state of [journal.current, journal.previous]) {
    if (state.history.length > 255) throw new RangeError(`history journal: ${state.history.length} entries do not fit`);
    if (state.pending === true && state.history.length === 0) throw new RangeError('history journal: a pending commit needs its config as history entry 0');
  }

  const chunks: Uint8Array[] = [HISTORY_MAGIC, Uint8Array.of(HISTORY_FORMAT_VERSION, pool.length)];
  for (const entry of pool) chunks.push(u32Bytes(entry.encoding.length), entry.encoding);
  for (const state of [journal.current, journal.previous]) {
    chunks.push(
      idToBytes(state.startupId),
      noteBytes(state.startupNote ?? NO_NOTE),
      Uint8Array.of(state.pending === true ? FLAG_PENDING : 0, state.history.length),
    );
    for (const entry of state.history) chunks.push(Uint8Array.of(slot.get(entry.id)!), noteBytes(entry.note ?? NO_NOTE));
  }
  const at = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(at + 4);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  const view = new DataView(out.buffer);
  view.setUint32(at, crc32(out.subarray(0, at)));
  return out;
}

/**
 * Reads a journal. Throws JournalError if the blob as a whole cannot be trusted. A pool entry
 * that is intact but no longer decodes (a rule-table format this firmware refuses) is left out
 * of both histories and reported in `problems`: the rest of the history is still good.
 */
export function decodeJournal(bytes: Uint8Array): { journal: Journal; problems: string[] } {
  const minimum = HISTORY_MAGIC.length + 2 + 2 * (ID_BYTES + 1) + 4;
  if (bytes.length < minimum) throw new JournalError(`history journal truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = bytes.length - 4;
  if (view.getUint32(body) !== crc32(bytes.subarray(0, body))) throw new JournalError('history journal checksum mismatch');
  for (let i = 0; i < HISTORY_MAGIC.length; i++) {
    if (bytes[i] !== HISTORY_MAGIC[i]) throw new JournalError('not a history journal (bad magic)');
  }
  let at = HISTORY_MAGIC.length;
  const version = bytes[at++]!;
  if (version !== HISTORY_FORMAT_VERSION && version !== VERSION_WITHOUT_FLAGS && version !== VERSION_WITHOUT_NOTES)
    throw new JournalError(`unsupported history journal version ${version}`);
  const notes = version !== VERSION_WITHOUT_NOTES;
  const flags = version === HISTORY_FORMAT_VERSION;
  const need = (n: number, what: string) => {
    if (at + n > body) throw new JournalError(`history journal truncated in ${what}`);
  };

  const problems: string[] = [];
  const pool: (ConfigRecord | null)[] = [];
  const poolSize = bytes[at++]!;
  for (let i = 0; i < poolSize; i++) {
    need(4, `entry ${i}`);
    const length = view.getUint32(at);
    at += 4;
    need(length, `entry ${i}`);
    const encoding = bytes.subarray(at, at + length);
    at += length;
    try {
      pool.push(recordFromBytes(encoding));
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      problems.push(`history entry ${i} dropped: ${err.message}`);
      pool.push(null);
    }
  }

  const readNote = (what: string): CommitNote => {
    if (!notes) return NO_NOTE;
    need(8, what);
    const at64 = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
    at += 8;
    return { at: at64, by: readText(what), comment: readText(what) };
  };
  const readText = (what: string): string => {
    need(1, what);
    const length = bytes[at++]!;
    need(length, what);
    const text = bytes.subarray(at, at + length);
    at += length;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(text);
    } catch {
      throw new JournalError(`history journal: a note in ${what} is not UTF-8`);
    }
  };
  const readState = (what: string): SavedState => {
    need(ID_BYTES + 1, what);
    const startupId = idFromBytes(bytes.subarray(at, at + ID_BYTES));
    at += ID_BYTES;
    const startupNote = readNote(what);
    let flagBits = 0;
    if (flags) {
      need(1, what);
      flagBits = bytes[at++]!;
      if ((flagBits & ~FLAG_PENDING) !== 0) throw new JournalError(`history journal: unknown flags 0x${flagBits.toString(16)} in ${what}`);
    }
    need(1, what);
    const count = bytes[at++]!;
    let pending = (flagBits & FLAG_PENDING) !== 0;
    if (pending && count === 0) throw new JournalError(`history journal: ${what} is pending with an empty history`);
    const history: ConfigRecord[] = [];
    for (let i = 0; i < count; i++) {
      need(1, what);
      const index = bytes[at++]!;
      if (index >= pool.length) throw new JournalError(`history journal: ${what} refers to entry ${index} of ${pool.length}`);
      const note = readNote(what);
      const entry = pool[index];
      if (entry) history.push(known(note) ? withNote(entry, note) : entry);
      else if (i === 0 && pending) {
        // The pending config itself no longer decodes: nothing to take up again, the rest stands.
        pending = false;
        problems.push(`the commit pending in the ${what} was dropped with its entry`);
      }
    }
    const state: SavedState = known(startupNote) ? { startupId, startupNote, history } : { startupId, history };
    return pending ? { ...state, pending } : state;
  };
  const current = readState('current state');
  const previous = readState('previous state');
  if (at !== body) throw new JournalError(`history journal: ${body - at} trailing byte(s)`);
  return { journal: { current, previous }, problems };
}

/**
 * Picks the side of the journal that belongs with the startup config on flash (see the file
 * comment). `current` wins a tie: both sides then name the same startup config and `current` is
 * the later write. If neither matches, storage was changed behind the database's back (the
 * appliance reseeded an unreadable startup config, or a write failed ambiguously): the newest
 * history is still a list of valid configs to roll back to, so it is kept, and reported.
 */
export function pickState(journal: Journal, startupId: string): { state: SavedState; problem: string | null } {
  if (journal.current.startupId === startupId) return { state: journal.current, problem: null };
  if (journal.previous.startupId === startupId) return { state: journal.previous, problem: null };
  return {
    state: journal.current,
    problem: `history was saved with startup config ${shortId(journal.current.startupId) || '(unknown)'}, not ${shortId(startupId) || '(none)'}; kept it`,
  };
}

/** An empty note is no note: records and states read without one, as from version 1. */
function known(note: CommitNote): boolean {
  return note.at !== 0 || note.by !== '' || note.comment !== '';
}

function u32Bytes(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

const utf8 = new TextEncoder();

/** A note's bytes; text longer than 255 bytes is refused (the console's commitNote cannot carry more). */
function noteBytes(note: CommitNote): Uint8Array {
  const by = utf8.encode(note.by);
  const comment = utf8.encode(note.comment);
  if (by.length > 255 || comment.length > 255) throw new RangeError('history journal: a note longer than 255 bytes');
  if (!Number.isSafeInteger(note.at) || note.at < 0) throw new RangeError(`history journal: note time ${note.at}`);
  const out = new Uint8Array(8 + 1 + by.length + 1 + comment.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(note.at / 2 ** 32));
  view.setUint32(4, note.at % 2 ** 32);
  out[8] = by.length;
  out.set(by, 9);
  out[9 + by.length] = comment.length;
  out.set(comment, 10 + by.length);
  return out;
}

function idToBytes(id: string): Uint8Array {
  const out = new Uint8Array(ID_BYTES);
  if (id === '') return out;
  if (!/^[0-9a-f]{64}$/.test(id)) throw new RangeError(`history journal: not a config id: ${id}`);
  for (let i = 0; i < ID_BYTES; i++) out[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function idFromBytes(bytes: Uint8Array): string {
  if (bytes.every((b) => b === 0)) return '';
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
