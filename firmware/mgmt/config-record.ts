import { decodeRules, encodeRules, type RuleTable } from '../../src/protocol/rules/index.js';
import { sha256, toHex } from '../../src/protocol/digest.js';

/** One configuration as the database keeps it: the table, its canonical bytes and their id. */
export interface ConfigRecord {
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

/** A short id for messages, as `git` abbreviates hashes. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
