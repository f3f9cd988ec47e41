/**
 * The appliances the agent manages: name, how to reach it, and the credentials to use. Lives
 * in the agent's database (mode 0600, see database.ts); credentials holding secrets are sealed
 * with the key file (secrets.ts), so the row never holds a community or v3 key in clear.
 */
import type { Db } from './database.js';
import { hasSealedRows } from './seal-migration.js';
import { isSealed, SecretBox } from './secrets.js';
import { TARGET_FORMS, targetKind } from '../../drivers/targets.js';

/** SNMPv2c (labs). */
export interface CommunityCredentials {
  community: string;
}

/** SNMPv3 USM: authPriv is the recommended default. Keys are the pass phrases as configured. */
export interface UsmCredentials {
  user: string;
  authProtocol?: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  authKey?: string;
  privProtocol?: 'des' | 'aes' | 'aes256b' | 'aes256r';
  privKey?: string;
}

/** Serial targets need none: `{}`. */
export type Credentials = CommunityCredentials | UsmCredentials | Record<string, never>;

export interface ApplianceRecord {
  name: string;
  /** One of TARGET_FORMS (drivers/targets.ts). */
  target: string;
  credentials: Credentials;
  /** ms since the epoch. */
  created: number;
}

export interface NewAppliance {
  name: string;
  target: string;
  credentials?: Credentials;
}

export type InventoryErrorCode = 'invalid' | 'duplicate' | 'notFound';

/** A request the inventory refuses; `code` says why, the message says it to a person. */
export class InventoryError extends Error {
  override readonly name = 'InventoryError';

  constructor(
    readonly code: InventoryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Which kind of secret is stored, never the secret: what every listing (API, CLI) shows of credentials. */
export function credentialKind(c: Credentials): 'v2c community' | 'v3 authPriv' | 'none' {
  return 'community' in c ? 'v2c community' : 'user' in c ? 'v3 authPriv' : 'none';
}

export interface Inventory {
  add(appliance: NewAppliance, now?: number): ApplianceRecord;
  list(): ApplianceRecord[];
  get(name: string): ApplianceRecord | null;
  /** Throws InventoryError('notFound') for an unknown name. Metrics stay until retention drops them. */
  remove(name: string): void;
  /** A new target and/or credentials for an appliance; throws InventoryError('notFound') for an unknown name. */
  update(name: string, change: ApplianceChange): ApplianceRecord;
}

/** What `update` may change: absent fields stay as they are. */
export interface ApplianceChange {
  target?: string;
  credentials?: Credentials;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function checkApplianceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InventoryError('invalid', `appliance name ${JSON.stringify(name)} is not valid: use 1–64 letters, digits, ".", "_" or "-"`);
  }
  return name;
}

function checkTarget(target: unknown): string {
  if (typeof target === 'string' && targetKind(target) === 'serial') return target;
  if (typeof target === 'string' && targetKind(target) === 'haproxy') {
    // The driver parses it in full when it connects; here: a URL with a socket (HOST:PORT or a path).
    try {
      const url = new URL(target);
      if ((url.hostname !== '' && Number(url.port) > 0) || (url.hostname === '' && url.pathname.length > 1)) return target;
    } catch {
      // reported below
    }
  }
  if (typeof target === 'string' && (targetKind(target) === 'snmp' || targetKind(target) === 'console')) {
    try {
      const url = new URL(target);
      if (url.hostname !== '' && (url.port === '' || Number(url.port) > 0)) return target;
    } catch {
      // reported below
    }
  }
  throw new InventoryError('invalid', `target ${JSON.stringify(target)} is not valid: use ${TARGET_FORMS}`);
}

const AUTH = new Set(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']);
const PRIV = new Set(['des', 'aes', 'aes256b', 'aes256r']);

function checkCredentials(c: unknown): Credentials {
  const bad = (why: string): never => {
    throw new InventoryError('invalid', `credentials: ${why}`);
  };
  if (c === undefined) return {};
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return bad('expected an object');
  const o = c as Record<string, unknown>;
  const strings = (...fields: string[]) => {
    for (const f of fields) if (o[f] !== undefined && (typeof o[f] !== 'string' || o[f] === '')) bad(`${f} must be a non-empty string`);
  };
  const known = (allowed: string[]) => {
    for (const f of Object.keys(o)) if (!allowed.includes(f)) bad(`unknown field "${f}"`);
  };
  if ('community' in o) {
    known(['community']);
    strings('community');
    return { community: o.community as string };
  }
  if ('user' in o) {
    known(['user', 'authProtocol', 'authKey', 'privProtocol', 'privKey']);
    strings('user', 'authProtocol', 'authKey', 'privProtocol', 'privKey');
    if (o.authProtocol !== undefined && !AUTH.has(o.authProtocol as string)) bad(`authProtocol must be one of ${[...AUTH].join(', ')}`);
    if (o.privProtocol !== undefined && !PRIV.has(o.privProtocol as string)) bad(`privProtocol must be one of ${[...PRIV].join(', ')}`);
    if ((o.authProtocol === undefined) !== (o.authKey === undefined)) bad('authProtocol and authKey go together');
    if ((o.privProtocol === undefined) !== (o.privKey === undefined)) bad('privProtocol and privKey go together');
    if (o.privKey !== undefined && o.authKey === undefined) bad('privacy needs authentication (authPriv)');
    return { ...o } as unknown as UsmCredentials;
  }
  known([]);
  return {};
}

interface Row {
  name: string;
  target: string;
  credentials: string;
  created: number;
}

export class SqliteInventory implements Inventory {
  constructor(
    private readonly db: Db,
    private readonly secrets = new SecretBox(),
  ) {}

  private fromRow(r: Row): ApplianceRecord {
    const text = isSealed(r.credentials) ? this.secrets.open(r.credentials, r.name) : r.credentials;
    return { name: r.name, target: r.target, credentials: JSON.parse(text) as Credentials, created: r.created };
  }

  add(appliance: NewAppliance, now = Date.now()): ApplianceRecord {
    const name = checkApplianceName(appliance.name);
    const target = checkTarget(appliance.target);
    const credentials = checkCredentials(appliance.credentials);
    // A missing key is made only for a table with nothing sealed yet: a new key would not open the old rows.
    const text = this.secrets.sealCredentials(credentials, name, !hasSealedRows(this.db));
    try {
      this.db.prepare('INSERT INTO appliances (name, target, credentials, created) VALUES (?, ?, ?, ?)').run(name, target, text, Math.floor(now));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new InventoryError('duplicate', `an appliance named "${name}" already exists`);
      throw error;
    }
    return { name, target, credentials, created: Math.floor(now) };
  }

  list(): ApplianceRecord[] {
    return (this.db.prepare('SELECT name, target, credentials, created FROM appliances ORDER BY name').all() as Row[]).map((r) => this.fromRow(r));
  }

  /** The names alone, in order: nothing sealed is opened (shell completion reads them). */
  names(): string[] {
    return (this.db.prepare('SELECT name FROM appliances ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  }

  get(name: string): ApplianceRecord | null {
    const row = this.db.prepare('SELECT name, target, credentials, created FROM appliances WHERE name = ?').get(name) as Row | undefined;
    return row ? this.fromRow(row) : null;
  }

  update(name: string, change: ApplianceChange): ApplianceRecord {
    const current = this.get(name);
    if (!current) throw new InventoryError('notFound', `no appliance named "${name}"`);
    const target = change.target === undefined ? current.target : checkTarget(change.target);
    const credentials = change.credentials === undefined ? current.credentials : checkCredentials(change.credentials);
    // Sealed like add's, under the same name (the name is part of what the seal binds).
    const text = this.secrets.sealCredentials(credentials, name, !hasSealedRows(this.db));
    this.db.prepare('UPDATE appliances SET target = ?, credentials = ? WHERE name = ?').run(target, text, name);
    return { ...current, target, credentials };
  }

  remove(name: string): void {
    if (this.db.prepare('DELETE FROM appliances WHERE name = ?').run(name).changes === 0) {
      throw new InventoryError('notFound', `no appliance named "${name}"`);
    }
  }
}
