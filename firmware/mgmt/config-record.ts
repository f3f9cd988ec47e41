/** A config the appliance holds (table, canonical bytes, id) and the note of its commit. Invariant: id is the SHA-256 of encoding. */
import { decodeRules, encodeRules, type RuleTable } from '../../src/protocol/rules/index.js';
import { sha256, toHex } from '../../src/protocol/digest.js';

/** Who committed a config, when and why (the rollback history shows it). */
export interface CommitNote {
  /** Epoch milliseconds by the appliance's clock; 0 when not known. */
  readonly at: number;
  /** user@host of the agent, or an API token's name; '' when not known. */
  readonly by: string;
  /** The comment given with the push; '' for none. */
  readonly comment: string;
}

export const NO_NOTE: CommitNote = { at: 0, by: '', comment: '' };

/** One configuration as the database keeps it: the table, its canonical bytes and their id. */
export interface ConfigRecord {
  /** How it came to run, when the database knows (a record fresh from bytes does not). */
  readonly note?: CommitNote;
  readonly table: RuleTable;
  /** Canonical encoding (what goes to flash and over the wire). Treat as read-only. */
  readonly encoding: Uint8Array;
  /** Config id: hex SHA-256 of `encoding`. */
  readonly id: string;
}

/** Decodes canonical bytes (throws CodecError otherwise). Copies them: the caller may reuse its buffer. */
export function recordFromBytes(bytes: Uint8Array): ConfigRecord {
  const table = decodeRules(bytes);
  // Decoding proved the bytes canonical, so they are the encoding and their hash is the id.
  return { table, encoding: bytes.slice(), id: toHex(sha256(bytes)) };
}

/** Throws TypeError (from encodeRules) if `table` is not canonical. */
export function recordFromTable(table: RuleTable): ConfigRecord {
  const encoding = encodeRules(table);
  return { table, encoding, id: toHex(sha256(encoding)) };
}

/** The same config, noted as committed by `note`. */
export function withNote(record: ConfigRecord, note: CommitNote): ConfigRecord {
  return { table: record.table, encoding: record.encoding, id: record.id, note };
}

/** A short id for messages, as `git` abbreviates hashes. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
