/**
 * API tokens: bearer secrets for the agent's HTTP API. A token is 32 random bytes, shown to the
 * operator once; the database keeps only its SHA-256, so a copy of the file grants nothing.
 */
import { createHash, randomBytes } from 'node:crypto';

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

/** Whether a verify at `now` should record it as the token's last use. */
export const lastUseDue = (lastUsed: number | null, now: number): boolean => lastUsed === null || now - lastUsed >= LAST_USED_GRANULARITY_MS;

/** What the store keeps of a token: its SHA-256. */
export const tokenDigest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export function checkRole(role: unknown): TokenRole {
  if (typeof role === 'string' && (TOKEN_ROLES as readonly string[]).includes(role)) return role as TokenRole;
  throw new TokenError('invalid', `role ${JSON.stringify(role)} is not valid: use ${TOKEN_ROLES.join(' or ')}`);
}

/**
 * A new token of `role` named `name` (default "<role> token"): the secret, and the hash the
 * store keeps. Throws TokenError('invalid') for a bad role or name.
 */
export function mintToken(options: { role: TokenRole; name?: string }): { token: string; hash: Buffer; role: TokenRole; name: string } {
  const role = checkRole(options.role);
  const name = options.name ?? `${role} token`;
  if (!NAME.test(name)) throw new TokenError('invalid', `token name ${JSON.stringify(name)} is not valid: 1–64 letters, digits, spaces or . _ @ : -`);
  const token = PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: tokenDigest(token), role, name };
}

/** Whether `token` could be one of ours at all: anything else is refused before a lookup. */
export const plausibleToken = (token: string): boolean => token.startsWith(PREFIX) && token.length <= 128;

/** The store of API tokens, on either engine. */
export interface TokenStore {
  /** A new token; its secret is in the result and nowhere else. */
  create(options: { role: TokenRole; name?: string }, now?: number): Promise<CreatedToken>;
  /** Valid tokens, or with `all` the revoked ones too; oldest first. */
  list(options?: { all?: boolean }): Promise<TokenRecord[]>;
  /** The valid token whose secret this is, or null (compared in constant time). */
  verify(token: string, now?: number): Promise<TokenRecord | null>;
  /**
   * Revoke by id, or by name when exactly one valid token has it. Throws TokenError
   * ('notFound', 'ambiguous'); revoking a revoked token is 'notFound' too.
   */
  revoke(idOrName: string, now?: number): Promise<TokenRecord>;
}

/** Which valid token `idOrName` names, among `candidates` (by id when all digits). */
export function pickToken(idOrName: string, candidates: readonly TokenRecord[]): TokenRecord {
  if (/^\d+$/.test(idOrName)) {
    const found = candidates.find((t) => t.id === Number(idOrName));
    if (!found) throw new TokenError('notFound', `no valid token with id ${idOrName} (fulcrum token list)`);
    return found;
  }
  const named = candidates.filter((t) => t.name === idOrName);
  if (named.length === 0) throw new TokenError('notFound', `no valid token named "${idOrName}" (fulcrum token list)`);
  if (named.length > 1)
    throw new TokenError('ambiguous', `${named.length} valid tokens are named "${idOrName}": revoke one by id (${named.map((t) => t.id).join(', ')})`);
  return named[0]!;
}
