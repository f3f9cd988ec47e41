/**
 * API tokens: bearer secrets for the agent's HTTP API. A token is 32 random bytes, shown to the
 * operator once; the database keeps only its SHA-256, so a copy of the file grants nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './database.js';

export type TokenRole = 'admin' | 'read';
export const TOKEN_ROLES: readonly TokenRole[] = ['admin', 'read'];

/** Marks the secret as Fulcrum's, so secret scanners and people can tell what leaked. */
const PREFIX = 'fulcrum_';

export interface TokenRecord {
  id: number;
  role: TokenRole;
  name: string;
  /** ms since the epoch. */
  created: number;
  /** ms since the epoch; null until first used. Updated at most once a minute. */
  lastUsed: number | null;
  /** ms since the epoch; null while the token is valid. */
  revoked: number | null;
}

export interface CreatedToken {
  record: TokenRecord;
  /** The secret itself: the only time it exists outside the operator's hands. */
  token: string;
}

export type TokenErrorCode = 'invalid' | 'notFound' | 'ambiguous';

export class TokenError extends Error {
  override readonly name = 'TokenError';

  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[\p{L}\p{N} ._@:-]{1,64}$/u;
/** last_used is a convenience, not an audit trail: one write a minute per token is plenty. */
const LAST_USED_GRANULARITY_MS = 60_000;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

interface Row {
  id: number;
  hash: Buffer;
  role: string;
  name: string;
  created: number;
  last_used: number | null;
  revoked: number | null;
}

const fromRow = (r: Row): TokenRecord => ({ id: r.id, role: r.role as TokenRole, name: r.name, created: r.created, lastUsed: r.last_used, revoked: r.revoked });

export function checkRole(role: unknown): TokenRole {
  if (typeof role === 'string' && (TOKEN_ROLES as readonly string[]).includes(role)) return role as TokenRole;
  throw new TokenError('invalid', `role ${JSON.stringify(role)} is not valid: use ${TOKEN_ROLES.join(' or ')}`);
}

export class SqliteTokenStore {
  constructor(private readonly db: Db) {}

  /** A new token; its secret is in the result and nowhere else. */
  create(options: { role: TokenRole; name?: string }, now = Date.now()): CreatedToken {
    const role = checkRole(options.role);
    const name = options.name ?? `${role} token`;
    if (!NAME.test(name)) throw new TokenError('invalid', `token name ${JSON.stringify(name)} is not valid: 1–64 letters, digits, spaces or . _ @ : -`);
    const token = PREFIX + randomBytes(32).toString('base64url');
    const created = Math.floor(now);
    const id = Number(
      this.db.prepare('INSERT INTO api_tokens (hash, role, name, created) VALUES (?, ?, ?, ?)').run(digest(token), role, name, created).lastInsertRowid,
    );
    return { token, record: { id, role, name, created, lastUsed: null, revoked: null } };
  }

  /** Valid tokens, or with `all` the revoked ones too; oldest first. */
  list(options: { all?: boolean } = {}): TokenRecord[] {
    const where = options.all ? '' : 'WHERE revoked IS NULL';
    return (this.db.prepare(`SELECT * FROM api_tokens ${where} ORDER BY id`).all() as Row[]).map(fromRow);
  }

  /**
   * The valid token whose secret this is, or null. Looked up by hash (the index), then compared
   * in constant time so the answer's timing says nothing about near misses.
   */
  verify(token: string, now = Date.now()): TokenRecord | null {
    if (!token.startsWith(PREFIX) || token.length > 128) return null;
    const hash = digest(token);
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE hash = ? AND revoked IS NULL').get(hash) as Row | undefined;
    if (!row || !timingSafeEqual(row.hash, hash)) return null;
    if (row.last_used === null || now - row.last_used >= LAST_USED_GRANULARITY_MS) {
      this.db.prepare('UPDATE api_tokens SET last_used = ? WHERE id = ?').run(Math.floor(now), row.id);
      row.last_used = Math.floor(now);
    }
    return fromRow(row);
  }

  /**
   * Revoke by id, or by name when exactly one valid token has it. Throws TokenError
   * ('notFound', 'ambiguous'); revoking a revoked token is 'notFound' too.
   */
  revoke(idOrName: string, now = Date.now()): TokenRecord {
    const target = this.find(idOrName);
    this.db.prepare('UPDATE api_tokens SET revoked = ? WHERE id = ?').run(Math.floor(now), target.id);
    return { ...target, revoked: Math.floor(now) };
  }

  private find(idOrName: string): TokenRecord {
    if (/^\d+$/.test(idOrName)) {
      const row = this.db.prepare('SELECT * FROM api_tokens WHERE id = ? AND revoked IS NULL').get(Number(idOrName)) as Row | undefined;
      if (!row) throw new TokenError('notFound', `no valid token with id ${idOrName} (fulcrum token list)`);
      return fromRow(row);
    }
    const rows = this.db.prepare('SELECT * FROM api_tokens WHERE name = ? AND revoked IS NULL').all(idOrName) as Row[];
    if (rows.length === 0) throw new TokenError('notFound', `no valid token named "${idOrName}" (fulcrum token list)`);
    if (rows.length > 1)
      throw new TokenError('ambiguous', `${rows.length} valid tokens are named "${idOrName}": revoke one by id (${rows.map((r) => r.id).join(', ')})`);
    return fromRow(rows[0]!);
  }
}
