/** TokenStore on SQLite (table api_tokens): the hash indexed, the secret nowhere. */
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../database.js';
import { preparedOnce, type Prepare } from './prepared.js';
import {
  lastUseDue,
  mintToken,
  pickToken,
  plausibleToken,
  tokenDigest,
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

export class SqliteTokenStore implements TokenStore {
  private readonly sql: Prepare;

  constructor(db: Db) {
    this.sql = preparedOnce(db);
  }

  async create(options: { role: TokenRole; name?: string }, now = Date.now()): Promise<CreatedToken> {
    const { token, hash, role, name } = mintToken(options);
    const created = Math.floor(now);
    const id = Number(this.sql('INSERT INTO api_tokens (hash, role, name, created) VALUES (?, ?, ?, ?)').run(hash, role, name, created).lastInsertRowid);
    return { token, record: { id, role, name, created, lastUsed: null, revoked: null } };
  }

  async list(options: { all?: boolean } = {}): Promise<TokenRecord[]> {
    const where = options.all ? '' : 'WHERE revoked IS NULL';
    return (this.sql(`SELECT * FROM api_tokens ${where} ORDER BY id`).all() as Row[]).map(fromRow);
  }

  /** Looked up by hash (the index), then compared in constant time so the timing says nothing about near misses. */
  async verify(token: string, now = Date.now()): Promise<TokenRecord | null> {
    if (!plausibleToken(token)) return null;
    const hash = tokenDigest(token);
    const row = this.sql('SELECT * FROM api_tokens WHERE hash = ? AND revoked IS NULL').get(hash) as Row | undefined;
    if (!row || !timingSafeEqual(row.hash, hash)) return null;
    if (lastUseDue(row.last_used, now)) {
      this.sql('UPDATE api_tokens SET last_used = ? WHERE id = ?').run(Math.floor(now), row.id);
      row.last_used = Math.floor(now);
    }
    return fromRow(row);
  }

  async revoke(idOrName: string, now = Date.now()): Promise<TokenRecord> {
    const target = pickToken(idOrName, await this.list());
    this.sql('UPDATE api_tokens SET revoked = ? WHERE id = ?').run(Math.floor(now), target.id);
    return { ...target, revoked: Math.floor(now) };
  }
}
