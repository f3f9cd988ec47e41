/**
 * API tokens on PostgreSQL (table `api_tokens`), behaving as SqliteTokenStore does: only the
 * SHA-256 of a secret is stored, found by its unique index and compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { PgDb } from './connection.js';
import {
  lastUseDue,
  mintToken,
  pickToken,
  plausibleToken,
  tokenDigest,
  TokenError,
  type CreatedToken,
  type TokenRecord,
  type TokenRole,
  type TokenStore,
} from '../tokens.js';

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

export class PgTokenStore implements TokenStore {
  constructor(private readonly db: PgDb) {}

  async create(options: { role: TokenRole; name?: string }, now = Date.now()): Promise<CreatedToken> {
    const { token, hash, role, name } = mintToken(options);
    const created = Math.floor(now);
    const result = await this.db.query<{ id: number }>('INSERT INTO api_tokens (hash, role, name, created) VALUES ($1, $2, $3, $4) RETURNING id', [
      hash,
      role,
      name,
      created,
    ]);
    return { token, record: { id: result.rows[0]!.id, role, name, created, lastUsed: null, revoked: null } };
  }

  async list(options: { all?: boolean } = {}): Promise<TokenRecord[]> {
    const where = options.all ? '' : 'WHERE revoked IS NULL';
    return (await this.db.query<Row>(`SELECT * FROM api_tokens ${where} ORDER BY id`)).rows.map(fromRow);
  }

  async verify(token: string, now = Date.now()): Promise<TokenRecord | null> {
    if (!plausibleToken(token)) return null;
    const hash = tokenDigest(token);
    const row = (await this.db.query<Row>('SELECT * FROM api_tokens WHERE hash = $1 AND revoked IS NULL', [hash])).rows[0];
    if (!row || !timingSafeEqual(row.hash, hash)) return null;
    if (lastUseDue(row.last_used, now)) {
      await this.db.query('UPDATE api_tokens SET last_used = $1 WHERE id = $2', [Math.floor(now), row.id]);
      row.last_used = Math.floor(now);
    }
    return fromRow(row);
  }

  /** Conditional on the token still being valid: of two revokes racing, the second finds nothing. */
  async revoke(idOrName: string, now = Date.now()): Promise<TokenRecord> {
    const target = pickToken(idOrName, await this.list());
    const result = await this.db.query('UPDATE api_tokens SET revoked = $1 WHERE id = $2 AND revoked IS NULL', [Math.floor(now), target.id]);
    if (result.rowCount === 0) throw new TokenError('notFound', `no valid token with id ${target.id} (fulcrum token list)`);
    return { ...target, revoked: Math.floor(now) };
  }
}
