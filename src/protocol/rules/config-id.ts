/**
 * The config id: what agent and appliance compare to know they run the same rules. It hashes the
 * canonical encoding, never the YAML, so formatting, key order and spelling cannot change it.
 */

import { sha256, toHex } from '../digest.js';
import { encodeRules } from './codec.js';
import type { RuleTable } from './model.js';

/** Lower-case hex SHA-256 of `encodeRules(table)`; throws like encodeRules on a non-canonical table. */
export function configId(table: RuleTable): string {
  return toHex(sha256(encodeRules(table)));
}
