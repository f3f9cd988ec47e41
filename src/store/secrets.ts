/**
 * The key that seals the inventory's SNMP secrets (communities, v3 keys) at rest: AES-256-GCM
 * with a random 256-bit key in $FULCRUM_HOME/secret.key, a file apart from the database
 * (created 0600 on first use, refused when others may read it). A copied or backed-up database
 * alone reveals no secret; opened without its key it fails saying which file it needs.
 *
 * A sealed value is `sealed:v1:<key id>:<base64url(iv | tag | ciphertext)>`. The key id (a
 * hash of the key, not the key) tells "wrong key" from "damaged row"; the appliance's name is
 * the additional data, so a row's credentials copied onto another row do not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fulcrumHome } from './config-cache.js';

export type SecretKeyErrorCode = 'keyMissing' | 'keyMismatch' | 'keyUnreadable' | 'keyMode' | 'tampered';

/** The key file cannot open what the database holds; the message names the file. */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';

  constructor(
    readonly code: SecretKeyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** $FULCRUM_HOME/secret.key (else ~/.fulcrum/secret.key). */
export function defaultKeyPath(): string {
  return path.join(fulcrumHome(), 'secret.key');
}

const PREFIX = 'sealed:v1:';
const IV = 12;
const TAG = 16;

export const isSealed = (text: string): boolean => text.startsWith(PREFIX);

const keyIdOf = (key: Buffer) => createHash('sha256').update('fulcrum secret.key id\0').update(key).digest('hex').slice(0, 16);

/** Opened secrets kept at most (a fleet's credentials); past it the memo starts afresh. */
const OPENED_MAX = 20_000;

export class SecretBox {
  private key: Buffer | null = null;
  private keyId: string | null = null;
  /**
   * What `open` gave, by context and sealed text: the inventory is read whole per API request
   * (GET /appliances), and a SHA-256 and an AES-GCM opening per appliance each time cost more than
   * the rest of the answer. A sealed text only ever opens to one value, so nothing goes stale.
   */
  private readonly opened = new Map<string, string>();

  constructor(readonly keyFile = defaultKeyPath()) {}

  /** Seals `plain` for `context` (the appliance's name). `mayCreate`: make the key if there is none yet. */
  seal(plain: string, context: string, mayCreate: boolean): string {
    const key = this.load(mayCreate);
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${keyIdOf(key)}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  /** A credentials column's text: sealed, unless there is nothing secret in it (serial: `{}`). */
  sealCredentials(credentials: object, context: string, mayCreate: boolean): string {
    const json = JSON.stringify(credentials);
    return Object.keys(credentials).length === 0 ? json : this.seal(json, context, mayCreate);
  }

  open(sealed: string, context: string): string {
    const memo = `${context}\0${sealed}`;
    const known = this.opened.get(memo);
    if (known !== undefined) return known;
    const plain = this.openNow(sealed, context);
    if (this.opened.size >= OPENED_MAX) this.opened.clear();
    this.opened.set(memo, plain);
    return plain;
  }

  private openNow(sealed: string, context: string): string {
    const [keyId = '', body = ''] = sealed.slice(PREFIX.length).split(':');
    const key = this.load(false);
    this.keyId ??= keyIdOf(key);
    if (keyId !== this.keyId) {
      throw new SecretKeyError(
        'keyMismatch',
        `the inventory's SNMP secrets were sealed with another key (id ${keyId}) than ${this.keyFile} (id ${this.keyId}): use the secret.key of the agent that wrote this database`,
      );
    }
    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(bytes.subarray(IV, IV + TAG));
      return Buffer.concat([decipher.update(bytes.subarray(IV + TAG)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(
        'tampered',
        `${context}: its sealed credentials do not open with ${this.keyFile}: the row was altered, or sealed for another appliance`,
      );
    }
  }

  private load(mayCreate: boolean): Buffer {
    if (this.key) return this.key;
    let stat;
    try {
      stat = statSync(this.keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new SecretKeyError('keyUnreadable', `${this.keyFile}: cannot read the key that seals the inventory's secrets: ${(error as Error).message}`);
      if (!mayCreate) {
        throw new SecretKeyError(
          'keyMissing',
          `the inventory's SNMP secrets are sealed with the key in ${this.keyFile}, which does not exist: copy secret.key from the agent that wrote this database there (or point FULCRUM_HOME at the directory holding it); the database alone does not reveal them`,
        );
      }
      return (this.key = this.create());
    }
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new SecretKeyError('keyMode', `${this.keyFile}: mode ${mode} lets other users read the key to the inventory's secrets; chmod 600 ${this.keyFile}`);
    }
    const key = Buffer.from(readFileSync(this.keyFile, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new SecretKeyError('keyUnreadable', `${this.keyFile}: not a Fulcrum secret key (64 hex digits)`);
    return (this.key = key);
  }

  /** Written whole under a temporary name, then linked into place: two processes creating it at once end up with one key. */
  private create(): Buffer {
    mkdirSync(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    const temp = `${this.keyFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${key.toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, this.keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process made it first: use theirs.
      return this.load(false);
    } finally {
      unlinkSync(temp);
    }
    return key;
  }
}
