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
 *   journal := magic "FHIS" (46 48 49 53)  u8 version = 1
 *              u8 pool size P   P × entry           -- distinct configs, each stored once
 *              state current    state previous
 *              u32 CRC-32 of every byte before it
 *   entry   := u32 length  canonical rule-table bytes (length ≥ 1)
 *   state   := 32 bytes startup id (raw SHA-256; all zero: unknown)
 *              u8 count  count × u8 pool index       -- history, most recent first
 *
 * Integers are unsigned big-endian. The pool lets both states share entries (they differ by about
 * one config), keeping the blob near the size of one history.
 */

import { CodecError } from '../../src/protocol/rules/index.js';
import { recordFromBytes, shortId, type ConfigRecord } from './config-record.js';
import { crc32 } from '../../src/protocol/digest.js';

export const HISTORY_FILE = 'history.bin';
export const HISTORY_MAGIC = Uint8Array.of(0x46, 0x48, 0x49, 0x53);
export const HISTORY_FORMAT_VERSION = 1;

/** What one side of the journal describes. */
export interface SavedState {
  /** Id of the startup config this history belongs with; '' when unknown. */
  readonly startupId: string;
  /** Previously committed configs, most recent first. */
  readonly history: readonly ConfigRecord[];
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
  }

  const size =
    HISTORY_MAGIC.length +
    1 +
    1 +
    pool.reduce((n, e) => n + 4 + e.encoding.length, 0) +
    2 * (ID_BYTES + 1) +
    journal.current.history.length +
    journal.previous.history.length +
    4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(HISTORY_MAGIC, at);
  at += HISTORY_MAGIC.length;
  out[at++] = HISTORY_FORMAT_VERSION;
  out[at++] = pool.length;
  for (const entry of pool) {
    view.setUint32(at, entry.encoding.length);
    at += 4;
    out.set(entry.encoding, at);
    at += entry.encoding.length;
  }
  for (const state of [journal.current, journal.previous]) {
    out.set(idToBytes(state.startupId), at);
    at += ID_BYTES;
    out[at++] = state.history.length;
    for (const entry of state.history) out[at++] = slot.get(entry.id)!;
  }
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
  if (version !== HISTORY_FORMAT_VERSION) throw new JournalError(`unsupported history journal version ${version}`);
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

  const readState = (what: string): SavedState => {
    need(ID_BYTES + 1, what);
    const startupId = idFromBytes(bytes.subarray(at, at + ID_BYTES));
    at += ID_BYTES;
    const count = bytes[at++]!;
    need(count, what);
    const history: ConfigRecord[] = [];
    for (let i = 0; i < count; i++) {
      const index = bytes[at++]!;
      if (index >= pool.length) throw new JournalError(`history journal: ${what} refers to entry ${index} of ${pool.length}`);
      const entry = pool[index];
      if (entry) history.push(entry);
    }
    return { startupId, history };
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
